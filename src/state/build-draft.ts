/**
 * What the user controls in the Build view (zustand): the draft of a build as plain data. No bytes: a
 * picked tarball is a File reference and a local channel a directory handle, both read by the workers.
 * Credentials stay here, in memory only; they are never exported (environment.yml, share links).
 */
import { create, type StateCreator } from 'zustand';
import type { SharedLock } from '../core/conda/lock-share';
import type { Credentials } from '../core/registry';

/** The base image: a reference pulled through the proxy, or a tarball the user picked or dropped. */
export type DraftBase = { kind: 'ref'; ref: string } | { kind: 'file'; file: File };

/** A channel row: a name or URL typed by the user, or a local folder picked with the directory picker. */
export type DraftChannel =
  | { id: number; kind: 'url'; value: string }
  | { id: number; kind: 'folder'; value: string; handle: FileSystemDirectoryHandle };

/** A package spec row (`numpy>=2`, `conda-forge::python=3.12`). */
export interface DraftSpec { id: number; value: string }

/** The form's fields. */
export interface BuildDraft {
  base: DraftBase;
  /**
   * os/architecture[/variant] of a referenced base; several, comma-separated (as the CLI's --platform), for a
   * multi-platform build: the first is the image Docker before 25 loads from the archive
   */
  platform: string;
  creds?: Credentials;
  /** in priority order */
  channels: DraftChannel[];
  specs: DraftSpec[];
  /**
   * environment.yml's `pip:` list, one item a line (requirements, `--index-url`, `--extra-index-url`,
   * `--hash`), installed after the conda packages ('' for none)
   */
  pip: string;
  prefix: string;
  strategy: 'layered' | 'single';
  /** the layer cap of the whole image, base included ('' for Docker's default) */
  maxLayers: string;
  /** environment variables as `KEY=VALUE` lines */
  variables: string;
  /** the image's entrypoint and command: a JSON array or words ('' keeps the base's) */
  entrypoint: string;
  cmd: string;
  /** extra labels as `KEY=VALUE` lines */
  labels: string;
  /** `name:tag` written into the archive */
  tag: string;
  /** SOURCE_DATE_EPOCH in whole seconds */
  epoch: string;
  /** a pasted explicit lock: installed as is instead of solving the specs ('' for none) */
  lock: string;
  /** the locks of a share link, one per platform: rebuilt from the channels' repodata and verified before anything is built */
  shared?: SharedLock[];
}

/** The platforms a draft builds for, in order (several for a multi-platform build). */
export const draftPlatforms = (d: Pick<BuildDraft, 'platform'>): string[] => d.platform.split(',').map((p) => p.trim()).filter(Boolean);

/** The store: the draft and its setters. */
export interface BuildDraftState extends BuildDraft {
  set(patch: Partial<BuildDraft>): void;
  addChannel(value?: string): void;
  addFolderChannel(handle: FileSystemDirectoryHandle): void;
  setChannel(id: number, value: string): void;
  removeChannel(id: number): void;
  /** moves a channel `by` places (-1 up, +1 down) */
  moveChannel(id: number, by: -1 | 1): void;
  addSpec(value?: string): void;
  setSpec(id: number, value: string): void;
  removeSpec(id: number): void;
  /** replaces channels and specs (an imported environment.yml) */
  replaceLists(channels: string[], specs: string[]): void;
}

let ids = 0;
const nextId = () => ++ids;

/** The draft a fresh page starts from. */
export function initialDraft(): BuildDraft {
  return {
    base: { kind: 'ref', ref: 'busybox:latest' },
    platform: 'linux/amd64',
    channels: [{ id: nextId(), kind: 'url', value: 'conda-forge' }],
    specs: [{ id: nextId(), value: '' }],
    pip: '',
    prefix: '/opt/conda',
    strategy: 'layered',
    maxLayers: '',
    variables: '',
    entrypoint: '',
    cmd: '',
    labels: '',
    tag: 'docker-envs/env:latest',
    epoch: '0',
    lock: '',
  };
}

// the fields a solve depends on: changing one drops a share link's lock, which was solved from the old ones
const SOLVE_INPUTS: Array<keyof BuildDraft> = ['base', 'platform', 'channels', 'specs', 'pip', 'prefix', 'lock'];
const unshare = (patch: Partial<BuildDraft>): Partial<BuildDraft> =>
  ('shared' in patch || !SOLVE_INPUTS.some((k) => k in patch) ? patch : { ...patch, shared: undefined });

/** A store whose every update goes through `unshare`. */
const unsharing = (f: StateCreator<BuildDraftState>): StateCreator<BuildDraftState> => (set, get, api) =>
  f(((patch: Partial<BuildDraft> | ((s: BuildDraftState) => Partial<BuildDraft>)) =>
    set((s) => unshare(typeof patch === 'function' ? patch(s) : patch))) as typeof set, get, api);

/** The Build view's draft store. */
export const useBuildDraft = create<BuildDraftState>()(unsharing((set) => ({
  ...initialDraft(),
  set: (patch) => set(patch),
  addChannel: (value = '') => set((s) => ({ channels: [...s.channels, { id: nextId(), kind: 'url', value }] })),
  addFolderChannel: (handle) => set((s) => ({ channels: [...s.channels, { id: nextId(), kind: 'folder', value: `file:///${handle.name}/`, handle }] })),
  setChannel: (id, value) => set((s) => ({ channels: s.channels.map((c) => (c.id === id && c.kind === 'url' ? { ...c, value } : c)) })),
  removeChannel: (id) => set((s) => ({ channels: s.channels.filter((c) => c.id !== id) })),
  moveChannel: (id, by) => set((s) => {
    const i = s.channels.findIndex((c) => c.id === id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= s.channels.length) return {};
    const channels = [...s.channels];
    [channels[i], channels[j]] = [channels[j], channels[i]];
    return { channels };
  }),
  addSpec: (value = '') => set((s) => ({ specs: [...s.specs, { id: nextId(), value }] })),
  setSpec: (id, value) => set((s) => ({ specs: s.specs.map((p) => (p.id === id ? { ...p, value } : p)) })),
  removeSpec: (id) => set((s) => ({ specs: s.specs.filter((p) => p.id !== id) })),
  replaceLists: (channels, specs) => set({
    channels: channels.map((value) => ({ id: nextId(), kind: 'url' as const, value })),
    specs: (specs.length ? specs : ['']).map((value) => ({ id: nextId(), value })),
  }),
})));

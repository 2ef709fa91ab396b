/**
 * react-query over the build: the solve preview is a query keyed by the draft's inputs (on the solve worker,
 * cancelled when the inputs move on), the build is a mutation on the build worker with progress, a log and
 * a cancel of its own.
 */
import { queryOptions, useMutation } from '@tanstack/react-query';
import { proxy } from 'comlink';
import { useRef, useState } from 'react';
import { buildBridge, proxyBase, solveBridge, type BuildProgress, type BuiltImage, type EnvironmentInput, type SolvePreview as WorkerPreview } from '../bridge/registry-bridge';
import { draftPlatforms, type BuildDraft } from '../state/build-draft';
import { requestPersistentStorage, storageEstimate, sweepAfterCancel } from '../bridge/cache-bridge';
import { isCancelled } from '../bridge/worker-bridge';
import { storageFit, type StorageFit } from '../core/cache/storage-fit';
import { parseCommand, parseLabels } from '../core/pipeline/config';
import { condaSubdir } from '../core/pipeline/virtual';
import { draftSpecs, lines, parseVariables } from '../state/draft-check';

export type { BuildProgress };

/** The worker's preview of one platform, with its storage need compared with the browser's estimate. */
export type SolvePreview = WorkerPreview & { storage: StorageFit; platform: string };

/** The draft's channels as the workers take them. */
function channelInputs(d: Pick<BuildDraft, 'channels'>): EnvironmentInput['channels'] {
  return d.channels.map((c) => (c.kind === 'folder' ? { url: c.value, folder: c.handle } : { url: c.value.trim() }));
}

/** The worker's input for a draft that passed `checkDraft`. */
export function environmentInput(d: BuildDraft): EnvironmentInput {
  const maxLayers = d.maxLayers.trim() ? Number(d.maxLayers) : undefined;
  const variables = parseVariables(d.variables);
  const entrypoint = parseCommand(d.entrypoint);
  const cmd = parseCommand(d.cmd);
  const labels = lines(d.labels).length ? parseLabels(lines(d.labels)) : undefined;
  const image = { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}), ...(labels ? { labels } : {}) };
  return {
    base: d.base.kind === 'file' ? { file: d.base.file } : { ref: d.base.ref.trim(), platform: d.platform, ...(d.creds ? { creds: d.creds } : {}) },
    channels: channelInputs(d),
    specs: draftSpecs(d),
    ...(lines(d.pip).length ? { pip: lines(d.pip) } : {}),
    prefix: d.prefix.trim(),
    strategy: d.strategy,
    ...(maxLayers ? { maxLayers } : {}),
    ...(Object.keys(variables).length ? { variables } : {}),
    ...(d.lock.trim() ? { lock: d.lock } : d.shared ? { shared: d.shared } : {}),
    ...(Object.keys(image).length ? { image } : {}),
  };
}

/** A key naming the inputs of a draft (a picked file by name, size and time; a folder by its name). */
export function draftKey(d: BuildDraft): string {
  const base = d.base.kind === 'file' ? `file:${d.base.file.name}:${d.base.file.size}:${d.base.file.lastModified}` : `${d.base.ref.trim()} ${d.platform} ${d.creds?.username ?? ''}`;
  return JSON.stringify([base, d.channels.map((c) => c.value.trim()), draftSpecs(d), lines(d.pip), d.prefix, d.strategy, d.maxLayers, d.lock.trim(), (d.shared ?? []).map((l) => l.sha256)]);
}

/**
 * The solve preview of a draft, one per platform in order (`enabled` once the user asks for it and the draft
 * is valid). Each platform is solved on its own manifest of the base, with its own share-link lock.
 */
export function previewQuery(d: BuildDraft, enabled: boolean) {
  return queryOptions({
    queryKey: ['preview', draftKey(d)],
    queryFn: async ({ signal }): Promise<SolvePreview[]> => {
      const input = environmentInput(d);
      const platforms = d.base.kind === 'ref' ? draftPlatforms(d) : [d.platform];
      const out: SolvePreview[] = [];
      for (const [i, platform] of platforms.entries()) {
        const one: EnvironmentInput = { ...input, ...('ref' in input.base ? { base: { ...input.base, platform } } : {}), ...(input.shared ? { shared: [input.shared[i]] } : {}) };
        const preview = await solveBridge.run((api) => api.preview(proxyBase(), one), signal);
        out.push({ ...preview, platform, storage: storageFit(preview.storageNeed, await storageEstimate()) });
      }
      return out;
    },
    enabled,
    retry: false,
    staleTime: 10 * 60_000,
  });
}

/**
 * Package names of the draft's channels for `platform` (autocomplete), and the versions of `name` when given.
 * Keyed by channels, subdir and name; `enabled` once the channels are valid.
 */
export function packageIndexQuery(d: BuildDraft, name: string | undefined, enabled: boolean) {
  const [os, arch] = draftPlatforms(d)[0].split('/');
  const subdir = condaSubdir(os, arch);
  const channels = channelInputs(d);
  return queryOptions({
    queryKey: ['package-index', channels.map((c) => c.url), subdir, name ?? ''],
    queryFn: ({ signal }) => solveBridge.run((api) => api.packageIndex(proxyBase(), channels, subdir, name), signal),
    enabled,
    retry: false,
    staleTime: 10 * 60_000,
    placeholderData: (previous) => previous,
  });
}

/** What a build is asked for: the draft, and the picked file if any. */
export interface BuildInput { draft: BuildDraft; handle?: FileSystemFileHandle }

/** A finished build; `url` is an object URL of the tar when no file was picked, `file` the tar itself. */
export type BuildResult = BuiltImage & { url?: string };

/** A running build as the page shows it: the last snapshot, every log line so far, and when each package started. */
export interface BuildStatus {
  progress?: BuildProgress;
  log: string[];
  /** ms timestamps (Date.now) of each package's first bytes, for speed and ETA */
  started: Record<string, number>;
  /** ms timestamp of the last snapshot: speeds are measured up to it, so rendering stays a pure function of the status */
  at?: number;
}

/**
 * The build as a mutation on the build worker (one at a time: the bridge queues jobs), with its `status` and
 * `cancel()`, which terminates the build worker and settles the build as cancelled (see `isCancelled`).
 */
export function useBuild() {
  const [status, setStatus] = useState<BuildStatus>({ log: [], started: {} });
  const controller = useRef<AbortController | undefined>(undefined);
  const url = useRef<string | undefined>(undefined);
  const mutation = useMutation({
    mutationKey: ['build'],
    retry: false,
    mutationFn: async ({ draft, handle }: BuildInput): Promise<BuildResult> => {
      const ac = new AbortController();
      controller.current = ac;
      setStatus({ log: [], started: {} });
      if (url.current) URL.revokeObjectURL(url.current);
      url.current = undefined;
      const onProgress = (p: BuildProgress) => {
        if (ac.signal.aborted) return;
        const now = Date.now();
        setStatus((s) => {
          const started = { ...s.started };
          for (const pkg of p.packages) started[pkg.fn] ??= now;
          return { progress: p, log: [...s.log, ...p.log], started, at: now };
        });
      };
      // the cache should outlive storage pressure: asked once a build is wanted (the browser may decide by itself)
      void requestPersistentStorage();
      const built = await buildBridge.run((api) => api.build(proxyBase(), environmentInput(draft),
        { tag: draft.tag.trim(), epoch: Number(draft.epoch), ...(handle ? { handle } : {}) }, proxy(onProgress)), ac.signal).catch(async (e: unknown) => {
        // the terminated worker's half-written files and the bodies it stored but never catalogued go now
        if (isCancelled(e)) await sweepAfterCancel().catch(() => {});
        throw e;
      });
      url.current = built.file ? URL.createObjectURL(built.file) : undefined;
      return { ...built, url: url.current };
    },
  });
  return { ...mutation, status, cancel: () => controller.current?.abort() };
}

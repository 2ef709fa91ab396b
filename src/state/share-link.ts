/**
 * Share links: the whole build form and its solved lock in the URL fragment (which browsers never send to a
 * server), as `#share=<version>.<base64url of deflate-raw of JSON>`. The lock travels without URLs and
 * hashes (name, version, build, channel, subdir, format per package) plus the sha256 of the full explicit
 * lock: a build from the link takes the hashes from the channels' repodata and refuses a lock that hashes
 * differently. A multi-platform form (`platform` lists several, comma-separated) carries one lock per
 * platform, in its order; a one-platform link is written as before, so links made earlier read the same.
 * A lock's pip packages travel whole (name, wheel URL and sha256; the version is the wheel's), covered by the
 * same sha256, so an altered one is refused like an altered conda package; the form's pip list travels too.
 * The format version sits outside the compressed part so a later one may change everything.
 * Pure: no store, no DOM.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { CoreError } from '../core/errors';
import type { LockedPackage, SharedLock } from '../core/conda/lock-share';
import { readLockedWheels, type LockedWheel } from '../core/conda/explicit-lock';
import type { BuildDraft } from './build-draft';
import { draftSpecs, lines } from './draft-check';

/** The version of the fragment's format this code writes and reads. */
export const SHARE_LINK_VERSION = 1;
/** What a share fragment starts with (after `#`). */
export const SHARE_FRAGMENT_KEY = 'share=';

/** Every field a share link carries: the form's own fields as the draft holds them, channels and specs as values. */
export interface ShareLink extends Pick<BuildDraft, (typeof STRING_FIELDS)[number] | 'strategy'> {
  /** LAYER_FORMAT_VERSION of the app that made the link */
  layerFormat: number;
  /** the base image's reference and the manifest digest it resolved to (absent before anything resolved it) */
  base: { ref: string; digest?: string };
  channels: string[];
  specs: string[];
  /** the form's pip list (lines); absent or '' for none */
  pip?: string;
  /** the solved locks, one per platform of `platform` in its order */
  locks?: SharedLock[];
}

const STRING_FIELDS = ['platform', 'prefix', 'maxLayers', 'variables', 'entrypoint', 'cmd', 'labels', 'tag', 'epoch'] as const;

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw invalid('it is not base64url text');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const invalid = (why: string, cause?: unknown) =>
  new CoreError('share-link-invalid', `this share link cannot be read: ${why}. Ask for the link again (it may have been cut short when copied); the form was left as it was.`, cause ? { cause } : undefined);

/**
 * The lock in its wire form: channels and subdirs as tables, each package one line
 * `name version build channelIndex subdirIndex format` (names, versions and builds hold no spaces); its pip
 * packages, when it has some, one a line `name url sha256` (URLs hold no spaces).
 */
function packLock(lock: SharedLock) {
  const channels = [...new Set(lock.packages.map((p) => p.channel))];
  const subdirs = [...new Set(lock.packages.map((p) => p.subdir))];
  const lines = lock.packages.map((p) => [p.name, p.version, p.build, channels.indexOf(p.channel), subdirs.indexOf(p.subdir), p.format === 'conda' ? 'c' : 'b'].join(' '));
  const wheels = lock.wheels?.map((w) => [w.name, w.url, w.sha256].join(' '));
  return { u: lock.subdir, h: lock.sha256, c: channels, d: subdirs, p: lines.join('\n'), ...(wheels?.length ? { w: wheels.join('\n') } : {}) };
}

/** The pip lines of a packed lock, read as the lock's own `# pip` lines are (the wheel's name and version checked against its URL). */
function unpackWheels(w: unknown): LockedWheel[] | undefined {
  if (w === undefined) return undefined;
  if (typeof w !== 'string' || !w) throw invalid('its pip packages are malformed');
  return w.split('\n').map((line, i) => {
    const [name, url, sha256, extra] = line.split(' ');
    if (!name || !url || !sha256 || extra !== undefined) throw invalid(`pip package ${i + 1} of its lock is malformed`);
    try {
      return readLockedWheels(`# pip ${name} @ ${url}#sha256=${sha256}`)[0]!;
    } catch (e) {
      throw invalid(`pip package ${i + 1} of its lock is malformed (${(e as Error).message})`, e);
    }
  });
}

function unpackLock(w: unknown): SharedLock {
  const o = w as Record<string, unknown>;
  if (!o || typeof o !== 'object' || typeof o.u !== 'string' || typeof o.h !== 'string' || !/^[0-9a-f]{64}$/.test(o.h)
    || !isStrings(o.c) || !isStrings(o.d) || typeof o.p !== 'string') throw invalid('its lock is malformed');
  const channels = o.c;
  const subdirs = o.d;
  const packages = o.p ? o.p.split('\n').map((line, i): LockedPackage => {
    const [name, version, build, ci, si, f, extra] = line.split(' ');
    const channel = channels[Number(ci)];
    const subdir = subdirs[Number(si)];
    if (!name || !version || !build || channel === undefined || subdir === undefined || (f !== 'c' && f !== 'b') || extra !== undefined) throw invalid(`package ${i + 1} of its lock is malformed`);
    return { name, version, build, channel, subdir, format: f === 'c' ? 'conda' : 'tar.bz2' };
  }) : [];
  const wheels = unpackWheels(o.w);
  return { subdir: o.u, sha256: o.h, packages, ...(wheels ? { wheels } : {}) };
}

/** The locks of a multi-platform link: one per platform it names. */
function unpackLocks(w: unknown, platform: string): SharedLock[] {
  if (!Array.isArray(w) || w.length !== platform.split(',').length) throw invalid('its locks do not match its platforms');
  return w.map(unpackLock);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The fragment (without `#`) of a share link. */
export function encodeShareLink(link: ShareLink): string {
  const wire = {
    f: link.layerFormat, b: link.base.ref, ...(link.base.digest ? { bd: link.base.digest } : {}), c: link.channels, s: link.specs, l: link.strategy,
    ...Object.fromEntries(STRING_FIELDS.map((k) => [k, link[k]])),
    // the pip list only when there is one: links without it read as before
    ...(link.pip ? { pi: link.pip } : {}),
    // one lock as `k` (the wire of links made before multi-platform forms), several as `ks`
    ...(link.locks?.length === 1 ? { k: packLock(link.locks[0]) } : link.locks?.length ? { ks: link.locks.map(packLock) } : {}),
  };
  return `${SHARE_FRAGMENT_KEY}${SHARE_LINK_VERSION}.${toBase64Url(deflateSync(strToU8(JSON.stringify(wire)), { level: 9 }))}`;
}

/** Whether a URL fragment (with or without `#`) is a share link at all. */
export const isShareFragment = (fragment: string): boolean => fragment.replace(/^#/, '').startsWith(SHARE_FRAGMENT_KEY);

/**
 * Reads a share fragment (with or without `#`). Anything malformed, truncated or of an unknown version is a
 * CoreError ('share-link-invalid') saying so; nothing is half-read.
 */
export function decodeShareLink(fragment: string): ShareLink {
  const body = fragment.replace(/^#/, '');
  if (!body.startsWith(SHARE_FRAGMENT_KEY)) throw invalid('it has no share data');
  const [version, data, ...rest] = body.slice(SHARE_FRAGMENT_KEY.length).split('.');
  if (rest.length || data === undefined) throw invalid('it is not <version>.<data>');
  if (version !== String(SHARE_LINK_VERSION)) throw invalid(`it has format version ${version}, and this app reads version ${SHARE_LINK_VERSION}`);
  let wire: Record<string, unknown>;
  try {
    wire = JSON.parse(strFromU8(inflateSync(fromBase64Url(data)))) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw invalid('its data is truncated or corrupt', e);
  }
  if (!wire || typeof wire !== 'object') throw invalid('its data is not an object');
  if (wire.k !== undefined && wire.ks !== undefined) throw invalid('it has both one lock and several');
  if (typeof wire.f !== 'number' || typeof wire.b !== 'string' || (wire.bd !== undefined && typeof wire.bd !== 'string')
    || !isStrings(wire.c) || !isStrings(wire.s) || (wire.l !== 'layered' && wire.l !== 'single') || (wire.pi !== undefined && typeof wire.pi !== 'string')) throw invalid('a field is missing or of the wrong type');
  for (const k of STRING_FIELDS) if (typeof wire[k] !== 'string') throw invalid(`its field ${k} is missing`);
  const str = (k: (typeof STRING_FIELDS)[number]) => wire[k] as string;
  return {
    layerFormat: wire.f, base: { ref: wire.b, ...(wire.bd ? { digest: wire.bd as string } : {}) }, channels: wire.c, specs: wire.s, pip: (wire.pi as string | undefined) ?? '', strategy: wire.l,
    platform: str('platform'), prefix: str('prefix'), maxLayers: str('maxLayers'), variables: str('variables'), entrypoint: str('entrypoint'),
    cmd: str('cmd'), labels: str('labels'), tag: str('tag'), epoch: str('epoch'),
    ...(wire.k !== undefined ? { locks: [unpackLock(wire.k)] } : {}),
    ...(wire.ks !== undefined ? { locks: unpackLocks(wire.ks, str('platform')) } : {}),
  };
}

/**
 * The share link of a draft whose base is a reference, with the locks it solved to (one per platform) and the
 * digest the base is pinned to. A picked tarball base cannot travel in a link.
 */
export function shareLinkOfDraft(d: BuildDraft, solved: { locks?: SharedLock[]; baseDigest?: string }, layerFormat: number): ShareLink {
  if (d.base.kind !== 'ref') throw new CoreError('invalid-argument', 'a picked tarball base cannot travel in a share link: use a registry reference as the base');
  return {
    layerFormat, base: { ref: d.base.ref.trim(), ...(solved.baseDigest ? { digest: solved.baseDigest } : {}) }, platform: d.platform,
    channels: d.channels.map((c) => c.value.trim()), specs: draftSpecs(d), pip: lines(d.pip).join('\n'), prefix: d.prefix, strategy: d.strategy, maxLayers: d.maxLayers,
    variables: d.variables, entrypoint: d.entrypoint, cmd: d.cmd, labels: d.labels, tag: d.tag, epoch: d.epoch,
    ...(solved.locks?.length ? { locks: solved.locks } : {}),
  };
}

/**
 * The draft fields a share link restores (channels and specs as values, for `replaceLists`). The base is
 * pinned to the digest the link names (a manifest's; an index's for several platforms), so the build starts
 * from the same bytes.
 */
export function draftOfShareLink(link: ShareLink): { patch: Partial<BuildDraft>; channels: string[]; specs: string[] } {
  const pinned = link.base.digest && !link.base.ref.includes('@') ? `${link.base.ref}@${link.base.digest}` : link.base.ref;
  return {
    patch: {
      base: { kind: 'ref', ref: pinned }, platform: link.platform, pip: link.pip ?? '', prefix: link.prefix, strategy: link.strategy, maxLayers: link.maxLayers,
      variables: link.variables, entrypoint: link.entrypoint, cmd: link.cmd, labels: link.labels, tag: link.tag, epoch: link.epoch,
      lock: '', shared: link.locks,
    },
    channels: link.channels, specs: link.specs,
  };
}

/**
 * An explicit lock in the compact form a share link carries (name, version, build, channel, subdir and
 * archive format per package: no URLs, no hashes), and its reconstruction from the channels' repodata,
 * which supplies each package's URL and sha256. Its pip packages travel whole (name, version, wheel URL and
 * sha256: no repodata holds them). The lock is identified by the sha256 of its canonical text
 * (`writeExplicitLock` of its records and wheels), so a rebuilt lock either matches the one shared, byte for
 * byte, or is refused.
 */
import { CoreError } from '../errors';
import { sha256 } from '../digest';
import { resolveChannel } from './channel';
import { readExplicitLock, readLockedWheels, writeExplicitLock, type LockedWheel } from './explicit-lock';
import { loadRepodata } from './repodata';
import type { PackageRecord } from './types';

/** A locked package without its URL and hash: what repodata needs to find its record again. */
export interface LockedPackage {
  name: string;
  version: string;
  build: string;
  /** channel base URL, ending in `/` */
  channel: string;
  /** linux-64, noarch… */
  subdir: string;
  /** the archive format the lock named */
  format: 'conda' | 'tar.bz2';
}

/** A solved lock as a share link carries it: its packages without URLs and hashes, and its canonical sha256. */
export interface SharedLock {
  /** the environment's subdir (linux-64…), which the canonical lock text names */
  subdir: string;
  /** hex sha256 of the canonical explicit lock (see `explicitLockDigest`) */
  sha256: string;
  /** in link order */
  packages: LockedPackage[];
  /** the lock's pip packages, as its `# pip` lines name them (absent when it has none) */
  wheels?: LockedWheel[];
}

/** The packages of an explicit lock's text, in its (link) order, without URLs and hashes. */
export function lockedPackagesOf(lockText: string): LockedPackage[] {
  return readExplicitLock(lockText).map((r) => ({
    name: r.name, version: r.version, build: r.build, channel: r.channel, subdir: r.subdir,
    format: r.fn.endsWith('.tar.bz2') ? 'tar.bz2' : 'conda',
  }));
}

/** The pip packages of an explicit lock's text (its `# pip` lines), in order. */
export const lockedWheelsOf = (lockText: string): LockedWheel[] => readLockedWheels(lockText);

/** The archive file name of a locked package. */
export const lockedFileName = (p: LockedPackage): string => `${p.name}-${p.version}-${p.build}.${p.format}`;

/** The sha256 (hex) of an explicit lock's canonical text: its records and pip packages written again by `writeExplicitLock`. */
export async function explicitLockDigest(lockText: string, subdir: string): Promise<string> {
  return (await sha256(writeExplicitLock(readExplicitLock(lockText), subdir, readLockedWheels(lockText)))).slice('sha256:'.length);
}

/**
 * Rebuilds the explicit lock of `packages` for `subdir` from their channels' repodata (fetched with
 * `fetch`): each package's URL and sha256 are taken from its record. A package its channel no longer lists
 * is a CoreError ('lock-invalid') naming it. `wheels` (the pip packages) follow as they are.
 */
export async function rebuildExplicitLock(packages: LockedPackage[], subdir: string, opts: RebuildOptions = {}): Promise<string> {
  const groups = new Map<string, { channel: string; subdir: string; names: Set<string> }>();
  for (const p of packages) {
    const key = `${p.channel} ${p.subdir}`;
    const g = groups.get(key) ?? { channel: p.channel, subdir: p.subdir, names: new Set<string>() };
    g.names.add(p.name);
    groups.set(key, g);
  }
  const byFile = new Map<string, PackageRecord>();
  await Promise.all([...groups.values()].map(async (g) => {
    const { records } = await loadRepodata(resolveChannel(g.channel), g.subdir, { ...(opts.fetch ? { fetch: opts.fetch } : {}), names: [...g.names] });
    for (const r of records) if (g.names.has(r.name)) byFile.set(`${g.channel} ${g.subdir} ${r.fn}`, r);
  }));
  const records = packages.map((p) => {
    const r = byFile.get(`${p.channel} ${p.subdir} ${lockedFileName(p)}`);
    if (!r) throw new CoreError('lock-invalid', `${lockedFileName(p)} is not in the repodata of ${p.channel}${p.subdir}: the channel no longer offers the locked package`);
    return r;
  });
  return writeExplicitLock(records, subdir, opts.wheels);
}

/** How a shared lock is rebuilt: the fetch repodata is read through, and the lock's pip packages. */
export interface RebuildOptions { fetch?: typeof fetch; wheels?: readonly LockedWheel[] }

/**
 * Rebuilds the lock (see `rebuildExplicitLock`) and checks it against the sha256 it was shared with: a
 * different lock is a CoreError ('lock-mismatch') saying both digests, so nothing else is ever built.
 */
export async function rebuildVerifiedLock(packages: LockedPackage[], subdir: string, expectedSha256: string, opts: RebuildOptions = {}): Promise<string> {
  const text = await rebuildExplicitLock(packages, subdir, opts);
  const actual = await explicitLockDigest(text, subdir);
  if (actual !== expectedSha256.toLowerCase()) {
    throw new CoreError('lock-mismatch', `the lock rebuilt from the channels' repodata has sha256 ${actual}, not the shared link's ${expectedSha256}: `
      + 'the link was altered or the channels now serve different packages under the same names. Nothing was built.');
  }
  return text;
}

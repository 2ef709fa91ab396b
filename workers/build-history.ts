/**
 * After a build in the build worker: the build goes into the history (form fields without credentials or file
 * bodies, the solved lock, manifest digest, archive sha256) and, once the build has let go of the cache, the
 * cache is trimmed to the user's cap.
 */
import { digestStream } from '../src/core/digest';
import { evictWhenFree } from './cache-admin';
import type { HistoryEntry } from './cache-catalog';
import type { BuildOutput, BuiltImage } from './build-job';
import { cacheParts, type EnvironmentInput } from './environment-input';

/** The form's fields as the history keeps them: no credentials, a picked tarball or folder by name only. */
export function historyForm(input: EnvironmentInput, baseDigest: string): Record<string, unknown> {
  // the base pinned by the digest it had, so Save again reads the same base after its tag moved
  const base = 'file' in input.base ? { file: input.base.file.name } : { ref: input.base.ref, platform: input.base.platform, digest: baseDigest };
  // the solved lock is kept beside the form (a shared link's lock is one of those)
  const { lock: _lock, shared: _shared, platformLocks: _locks, ...rest } = input;
  return { ...rest, base, channels: input.channels.map((c) => ({ url: c.url, ...(c.folder ? { folder: c.folder.name } : {}) })) };
}

/**
 * Records the build in the history. Nothing happens where the cache is off. Returns the history entry's id,
 * and the archive's sha256 (read back once).
 */
export async function recordBuild(input: EnvironmentInput, output: BuildOutput, built: BuiltImage, archive: File): Promise<{ id: number; archiveSha256: string } | undefined> {
  const parts = await cacheParts();
  if (!parts) return undefined;
  const archiveSha256 = (await digestStream(archive.stream())).digest;
  const entry: HistoryEntry = {
    date: Date.now(), form: historyForm(input, built.baseDigest), lock: built.lock, ...(built.platforms ? { platformLocks: built.platforms.map((p) => p.lock) } : {}), tag: output.tag, epoch: output.epoch, manifestDigest: built.manifestDigest,
    archiveSha256, size: built.size, packages: built.packages, layers: built.layers, cachedLayers: built.cachedLayers,
  };
  const id = await parts.catalog.addHistory(entry);
  return { id, archiveSha256 };
}

/**
 * Evicts above the user's cap, unless a build (in any tab) holds the cache. Called once a build has released
 * its own shared hold: under it, the exclusive lock eviction needs is never free.
 */
export async function trimCache(): Promise<void> {
  const parts = await cacheParts();
  if (parts) await evictWhenFree(parts.catalog, parts.bodies);
}

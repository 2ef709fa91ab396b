/**
 * The cache as the page sees it: the catalog (IndexedDB) read and set directly, Clear (under the cache's Web
 * Lock, so it waits for builds running in any tab), persistent storage asked for, and the storage estimate.
 * Builds and Save again run on the build worker (registry-bridge.ts).
 */
import { clearCache as clearUnderLock, STRAY_GRACE_MS, sweepStray, type SweepResult } from '../../workers/cache-admin';
import { openCatalog, type CacheEntry, type HistoryEntry } from '../../workers/cache-catalog';

export type { CacheEntry, HistoryEntry };

/** What the cache panel shows. */
export interface CacheSummary {
  /** false where the browser has no OPFS: caching is off */
  available: boolean;
  /** whether the browser granted persistent storage (not evicted under storage pressure) */
  persisted: boolean;
  /** least recently used first */
  entries: CacheEntry[];
  /** bytes of the catalogued bodies */
  total: number;
  /** the user's cap in bytes */
  cap: number;
  /** the browser's estimate for this origin, in bytes */
  usage?: number;
  quota?: number;
}

type Dir = FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };

let catalog: ReturnType<typeof openCatalog> | undefined;
const theCatalog = () => (catalog ??= openCatalog());

/** Whether this page can use OPFS (the cache's bodies). */
export async function opfsAvailable(): Promise<boolean> {
  try {
    await navigator.storage.getDirectory();
    return true;
  } catch {
    return false;
  }
}

/** Asks the browser to keep the cache under storage pressure; resolves to whether it is persistent. */
export async function requestPersistentStorage(): Promise<boolean> {
  if (!navigator.storage?.persist) return false;
  return (await navigator.storage.persisted()) || navigator.storage.persist().catch(() => false);
}

/** The browser's storage estimate for this origin (`navigator.storage.estimate()`), undefined where it has none. */
export async function storageEstimate(): Promise<StorageEstimate | undefined> {
  return navigator.storage?.estimate?.().catch(() => undefined);
}

/** The cache panel's data. */
export async function cacheSummary(): Promise<CacheSummary> {
  const available = await opfsAvailable();
  const est = await storageEstimate();
  const persisted = await navigator.storage?.persisted?.().catch(() => false) ?? false;
  const entries = available ? await theCatalog().entries() : [];
  return {
    available, persisted, entries, total: entries.reduce((n, e) => n + e.size, 0), cap: await theCatalog().cap(),
    ...(est?.usage !== undefined ? { usage: est.usage } : {}), ...(est?.quota !== undefined ? { quota: est.quota } : {}),
  };
}

/** Sets the cache's size cap (bytes); the next build evicts above it. */
export function setCacheCap(bytes: number): Promise<void> {
  return theCatalog().setCap(bytes);
}

/** Empties the cache: every body in OPFS (blobs, layer records, repodata, packages' md5s and sizes) and the catalog's rows; the history stays. */
export async function clearCache(): Promise<void> {
  await clearUnderLock(theCatalog(), async () => {
    const root = await navigator.storage.getDirectory();
    // the folders' contents go, the folders stay (workers hold handles to them): blobs/sha256/*, layers/*,
    // repodata/*, package-md5/* (packages' md5s and sizes)
    for (const path of [['blobs', 'sha256'], ['layers'], ['repodata'], ['package-md5']]) {
      let dir: Dir | undefined = root as Dir;
      for (const name of path) dir = dir && await dir.getDirectoryHandle(name).catch(() => undefined) as Dir | undefined;
      if (!dir) continue;
      const names: string[] = [];
      for await (const n of dir.keys()) names.push(n);
      for (const n of names) await dir.removeEntry(n, { recursive: true }).catch(() => {});
    }
  });
}

/**
 * Removes OPFS files of the cache that its catalog does not name (see sweepStray), when no build, save or
 * comparison in any tab holds the cache. At start-up: those older than STRAY_GRACE_MS, if the cache is free at
 * once. Resolves with what went, or undefined when the cache was busy or is off.
 */
export async function sweepStrayCache(): Promise<SweepResult | undefined> {
  if (!(await opfsAvailable())) return undefined;
  return sweepStray(theCatalog(), await navigator.storage.getDirectory(), { graceMs: STRAY_GRACE_MS });
}

/**
 * After a build was cancelled (its worker terminated, its layer workers with it): what it stored but never
 * catalogued and what it left half-written go now. Its worker lets go of the cache lock and of its open files
 * as it ends, so this waits a little for the lock and tries again while a file is still held; a build in
 * another tab that keeps the lock leaves the rest to a later sweep.
 */
export async function sweepAfterCancel(): Promise<SweepResult | undefined> {
  if (!(await opfsAvailable())) return undefined;
  const root = await navigator.storage.getDirectory();
  let total: SweepResult | undefined;
  for (let tries = 0; tries < 10; tries++) {
    const r = await sweepStray(theCatalog(), root, { graceMs: 0, waitMs: 2000 });
    if (!r) break;
    total = { removed: (total?.removed ?? 0) + r.removed, freed: (total?.freed ?? 0) + r.freed, busy: r.busy };
    if (r.busy === 0) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return total;
}

/** Builds of the history, newest first. */
export function buildHistory(): Promise<HistoryEntry[]> {
  return theCatalog().history();
}

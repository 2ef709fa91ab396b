/**
 * The browser cache as one thing: bodies in OPFS (blobs, layer records, repodata), their catalog in IndexedDB,
 * and one Web Lock that makes tabs share it safely. A build holds the lock shared for its whole run (any number
 * of tabs build at once; OPFS writes go to unique temporary names and are moved into place); evicting and
 * clearing hold it exclusively, so no running build ever loses a body it is reading. Eviction runs only when
 * the lock is free at once (after a build); Clear waits for running builds to end.
 */
import type { BlobStore, RecordStore } from '../src/core/cache';
import type { RepodataStore } from '../src/core/conda/repodata-cache';
import type { Digest } from '../src/core/digest';
import type { LayerCache } from '../src/core/pipeline/layer-cache';
import type { CacheCatalog, CacheEntry, CacheEntryKind } from './cache-catalog';

/** The name of the Web Lock around the cache's writers. */
export const CACHE_LOCK = 'docker-envs-cache';

const locks = (): LockManager | undefined => (typeof navigator !== 'undefined' ? navigator.locks : undefined);

/** Runs `f` holding the cache lock shared (a build: other builds may run, eviction and Clear wait). */
export function withCacheShared<T>(f: () => Promise<T>): Promise<T> {
  const l = locks();
  return l ? l.request(CACHE_LOCK, { mode: 'shared' }, f) as Promise<T> : f();
}

/** A BlobStore that catalogues what it stores and what is read from it, as `kind`. */
export function catalogedBlobStore(store: BlobStore, catalog: CacheCatalog, kind: CacheEntryKind): BlobStore {
  return {
    has: (d) => store.has(d),
    async get(d) {
      const b = await store.get(d);
      if (b) await catalog.touch(kind, d).catch(() => {});
      return b;
    },
    async put(d, s, size) {
      const b = await store.put(d, s, size);
      await catalog.record(kind, d, b.size, d).catch(() => {});
      return b;
    },
    async delete(d) { await store.delete(d); await catalog.forget(kind, d).catch(() => {}); },
  };
}

/** A LayerCache that catalogues its layers (key, tar digest, size) and their use. */
export function catalogedLayerCache(cache: LayerCache, catalog: CacheCatalog): LayerCache {
  return {
    async get(key, opts) {
      const hit = await cache.get(key, opts);
      if (hit) await catalog.record('layer', key, hit.size, hit.digest).catch(() => {});
      else await catalog.forget('layer', key).catch(() => {});
      return hit;
    },
    async forget(key) {
      await cache.forget(key);
      await catalog.forget('layer', key).catch(() => {});
    },
    async put(key, layer) {
      await cache.put(key, layer);
      await catalog.record('layer', key, layer.size, layer.digest).catch(() => {});
    },
  };
}

/** A RepodataStore that catalogues its entries (by URL, with the body's size). */
export function catalogedRepodataStore(store: RepodataStore, catalog: CacheCatalog): RepodataStore {
  return {
    async get(key) {
      const hit = await store.get(key);
      if (hit) await catalog.touch('repodata', key).catch(() => {});
      return hit;
    },
    async put(key, value) {
      await store.put(key, value);
      await catalog.record('repodata', key, value.body.byteLength).catch(() => {});
    },
    ...(store.delete ? { delete: store.delete.bind(store) } : {}),
  };
}

/** Where the catalogued bodies live. */
export interface CacheBodies {
  blobs: BlobStore;
  /** layer records by key */
  layers: RecordStore;
  repodata: RepodataStore;
}

/** Removes one entry's body and its catalog row. A layer's tar stays while another entry names the same digest. */
async function removeEntry(e: CacheEntry, bodies: CacheBodies, catalog: CacheCatalog, all: CacheEntry[]): Promise<void> {
  if (e.kind === 'repodata') await bodies.repodata.delete?.(e.key);
  else if (e.kind === 'layer') await bodies.layers.remove(e.key);
  const digest = e.digest ?? (e.kind === 'repodata' ? undefined : e.key);
  if (digest && e.kind !== 'repodata' && !all.some((o) => o !== e && o.kind !== 'repodata' && (o.digest ?? o.key) === digest)) {
    await bodies.blobs.delete(digest as Digest);
  }
  await catalog.forget(e.kind, e.key);
}

/**
 * Evicts the least recently used entries until the catalogued total is at most `cap` bytes. The caller holds
 * the cache lock exclusively. Returns what was removed.
 */
export async function evictOver(cap: number, catalog: CacheCatalog, bodies: CacheBodies): Promise<{ removed: number; freed: number }> {
  const all = await catalog.entries();
  let total = all.reduce((n, e) => n + e.size, 0);
  let removed = 0;
  let freed = 0;
  for (const e of all) {
    if (total <= cap) break;
    await removeEntry(e, bodies, catalog, all.slice(removed));
    total -= e.size;
    freed += e.size;
    removed++;
  }
  return { removed, freed };
}

/** Evicts above the user's cap if no build holds the cache now (otherwise a later build does it). */
export async function evictWhenFree(catalog: CacheCatalog, bodies: CacheBodies): Promise<{ removed: number; freed: number } | undefined> {
  const l = locks();
  const run = async () => evictOver(await catalog.cap(), catalog, bodies);
  if (!l) return run();
  return l.request(CACHE_LOCK, { mode: 'exclusive', ifAvailable: true }, (lock) => (lock ? run() : undefined));
}

/** How old a stray body must be before a sweep at start-up removes it (a writer outside the lock may still be finishing it). */
export const STRAY_GRACE_MS = 10 * 60 * 1000;

type Dir = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };

/** What a sweep did: files removed, their bytes, and stray files it could not remove (still open for writing). */
export interface SweepResult { removed: number; freed: number; busy: number }

/** Removes the files of `dir` that `keep` does not name and that were last written before `before` (ms since the epoch). */
async function removeStray(dir: Dir, keep: (name: string) => boolean, before: number, out: SweepResult): Promise<void> {
  const stray: [string, FileSystemFileHandle][] = [];
  for await (const [name, h] of dir.entries()) if (h.kind === 'file' && !keep(name)) stray.push([name, h as FileSystemFileHandle]);
  for (const [name, h] of stray) {
    const f = await h.getFile().catch(() => undefined);
    if (f && f.lastModified > before) continue;
    // a file still open for writing (a sync access handle) cannot be removed yet
    if (await dir.removeEntry(name).then(() => true, () => false)) { out.removed++; out.freed += f?.size ?? 0; } else out.busy++;
  }
}

/** Options of sweepStray. */
export interface SweepOptions {
  /** only files last written more than this long ago go */
  graceMs: number;
  /** wait up to this long for the cache lock (default: run only if it is free at once) */
  waitMs?: number;
}

/**
 * Removes what the cache's folders hold outside its catalog: temporary files of writes that never finished
 * (a build worker terminated by Cancel takes its layer workers down mid-write), layer tars and packages stored
 * by a build cancelled before it catalogued them, and layer records no catalog row names. Such files are never
 * listed, counted or evicted. It runs holding the cache lock exclusively (no build, save or comparison in any
 * tab reads or writes the cache meanwhile): when the lock is free at once, or within `waitMs`; otherwise it
 * does nothing and resolves undefined.
 */
export async function sweepStray(catalog: CacheCatalog, root: FileSystemDirectoryHandle, opts: SweepOptions): Promise<SweepResult | undefined> {
  const run = async () => {
    const entries = await catalog.entries();
    const hex = (d: string) => d.slice(d.indexOf(':') + 1);
    const blobs = new Set(entries.filter((e) => e.kind !== 'repodata').map((e) => hex(e.digest ?? e.key)));
    const layers = new Set(entries.filter((e) => e.kind === 'layer').map((e) => `${e.key}.json`));
    const before = Date.now() - opts.graceMs;
    const folder = async (...path: string[]) => {
      let d: FileSystemDirectoryHandle | undefined = root;
      for (const name of path) d = d && await d.getDirectoryHandle(name).catch(() => undefined);
      return d as Dir | undefined;
    };
    const out: SweepResult = { removed: 0, freed: 0, busy: 0 };
    const [blobDir, layerDir] = [await folder('blobs', 'sha256'), await folder('layers')];
    if (blobDir) await removeStray(blobDir, (n) => blobs.has(n), before, out);
    if (layerDir) await removeStray(layerDir, (n) => layers.has(n), before, out);
    return out;
  };
  const l = locks();
  if (!l) return run();
  if (opts.waitMs === undefined) return l.request(CACHE_LOCK, { mode: 'exclusive', ifAvailable: true }, (lock) => (lock ? run() : undefined));
  try {
    // (the lock's promise settles with the callback's result)
    return await (l.request(CACHE_LOCK, { mode: 'exclusive', signal: AbortSignal.timeout(opts.waitMs) }, run) as unknown as Promise<SweepResult>);
  } catch (e) {
    if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return undefined;
    throw e;
  }
}

/**
 * Empties the cache (waiting for running builds to end): `wipe` removes every body (catalogued or not), then
 * the catalog's rows go; the history stays.
 */
export async function clearCache(catalog: CacheCatalog, wipe: () => Promise<void>): Promise<void> {
  const l = locks();
  const run = async () => { await wipe(); await catalog.clearEntries(); };
  await (l ? l.request(CACHE_LOCK, { mode: 'exclusive' }, run) : run());
}

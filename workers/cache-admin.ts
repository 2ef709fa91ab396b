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

/**
 * Empties the cache (waiting for running builds to end): `wipe` removes every body (catalogued or not), then
 * the catalog's rows go; the history stays.
 */
export async function clearCache(catalog: CacheCatalog, wipe: () => Promise<void>): Promise<void> {
  const l = locks();
  const run = async () => { await wipe(); await catalog.clearEntries(); };
  await (l ? l.request(CACHE_LOCK, { mode: 'exclusive' }, run) : run());
}

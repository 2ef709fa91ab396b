/**
 * The cache's catalog in IndexedDB (via `idb`), shared by every tab and worker of the origin: what the OPFS
 * cache holds (packages, base image blobs, built layers, repodata: key, digest, size in bytes, last use), the
 * size cap the user set, and the history of builds. The bodies stay in OPFS; this is what lets the app list
 * them, evict the least recently used above the cap, and save a past build again.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** What a cache entry is. */
export type CacheEntryKind = 'package' | 'base-blob' | 'layer' | 'repodata';

/** One cached body. */
export interface CacheEntry {
  kind: CacheEntryKind;
  /** the digest for blobs, the layer key for layers, the URL for repodata */
  key: string;
  /** the body's sha256 digest (a layer's tar digest), where it has one */
  digest?: string;
  /** bytes of the body */
  size: number;
  /** when it was last stored or read (ms since the epoch) */
  lastUse: number;
}

/** A finished build, as the history lists it. */
export interface HistoryEntry {
  id?: number;
  /** when it finished (ms since the epoch) */
  date: number;
  /** the form's fields (the base as a reference, or the name of the tarball that was picked) */
  form: Record<string, unknown>;
  /** the solved environment as an explicit lock (what a rebuild installs; the first platform's of several) */
  lock: string;
  /** a multi-platform build (the form's platform lists them): each platform's explicit lock, in order */
  platformLocks?: string[];
  tag: string;
  epoch: number;
  manifestDigest: string;
  /** sha256 of the docker-archive written */
  archiveSha256: string;
  /** bytes of the archive */
  size: number;
  packages: number;
  layers: number;
  cachedLayers: number;
}

interface CatalogSchema extends DBSchema {
  entries: { key: [CacheEntryKind, string]; value: CacheEntry; indexes: { lastUse: number } };
  history: { key: number; value: HistoryEntry; indexes: { date: number } };
  settings: { key: string; value: number };
}

/** The default size cap: bytes of cached bodies kept before the least recently used are evicted. */
export const DEFAULT_CACHE_CAP = 4 * 1024 ** 3;
/** Builds kept in the history (older ones are dropped). */
export const HISTORY_LIMIT = 50;

/** The catalog's operations. */
export interface CacheCatalog {
  /** records a body stored or read now */
  record(kind: CacheEntryKind, key: string, size: number, digest?: string): Promise<void>;
  /** marks an entry used now (nothing happens when it is not catalogued) */
  touch(kind: CacheEntryKind, key: string): Promise<void>;
  forget(kind: CacheEntryKind, key: string): Promise<void>;
  /** every entry, least recently used first */
  entries(): Promise<CacheEntry[]>;
  cap(): Promise<number>;
  setCap(bytes: number): Promise<void>;
  addHistory(h: HistoryEntry): Promise<number>;
  /** newest first */
  history(): Promise<HistoryEntry[]>;
  historyEntry(id: number): Promise<HistoryEntry | undefined>;
  /** forgets every entry (the history stays) */
  clearEntries(): Promise<void>;
}

/** Opens (creating or upgrading) the catalog database `name`. */
export function openCatalog(name = 'docker-envs-cache'): CacheCatalog {
  let db: Promise<IDBPDatabase<CatalogSchema>> | undefined;
  const open = () => (db ??= openDB<CatalogSchema>(name, 1, {
    upgrade(d) {
      d.createObjectStore('entries', { keyPath: ['kind', 'key'] }).createIndex('lastUse', 'lastUse');
      d.createObjectStore('history', { keyPath: 'id', autoIncrement: true }).createIndex('date', 'date');
      d.createObjectStore('settings');
    },
  }));
  return {
    async record(kind, key, size, digest) {
      await (await open()).put('entries', { kind, key, size, lastUse: Date.now(), ...(digest ? { digest } : {}) });
    },
    async touch(kind, key) {
      const tx = (await open()).transaction('entries', 'readwrite');
      const e = await tx.store.get([kind, key]);
      if (e) await tx.store.put({ ...e, lastUse: Date.now() });
      await tx.done;
    },
    async forget(kind, key) { await (await open()).delete('entries', [kind, key]); },
    async entries() { return (await open()).getAllFromIndex('entries', 'lastUse'); },
    async cap() { return (await (await open()).get('settings', 'cap')) ?? DEFAULT_CACHE_CAP; },
    async setCap(bytes) {
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`a cache cap is a whole number of bytes, not ${bytes}`);
      await (await open()).put('settings', bytes, 'cap');
    },
    async addHistory(h) {
      const d = await open();
      const id = await d.add('history', h);
      // keep the newest HISTORY_LIMIT
      const keys = await d.getAllKeysFromIndex('history', 'date');
      for (const k of keys.slice(0, Math.max(0, keys.length - HISTORY_LIMIT))) await d.delete('history', k);
      return id;
    },
    async history() { return (await (await open()).getAllFromIndex('history', 'date')).reverse(); },
    async historyEntry(id) { return (await open()).get('history', id); },
    async clearEntries() { await (await open()).clear('entries'); },
  };
}

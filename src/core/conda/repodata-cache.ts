/**
 * A fetch wrapper that caches channel metadata (repodata in every form, shard indexes and shards) in memory and
 * in a pluggable store. The solver fetches repodata itself through the global fetch with no cache between
 * calls, so the project hands it this wrapper. Shards are content-addressed (their file name is the sha256 of
 * the file): they are verified before they are cached, and served from the cache with no network at all.
 * Other repodata is cached for `maxAgeMs`; a 404 is cached too (the solver probes several names per subdir).
 * Answers marked `cache-control: no-store` (local channels) are passed on, shards normalized, but never cached.
 * The cache holds the bytes as fetched; shards are normalized (hex hashes to bytes) on the way out.
 */
import { digestHex, sha256 } from '../digest';
import { normalizeShard } from './repodata-shard';
import { loadZstdWasm } from '../compress/zstd-wasm';

/** Where cached metadata is kept between sessions (OPFS, IndexedDB, a folder). */
export interface RepodataStore {
  get(key: string): Promise<CachedResponse | undefined>;
  put(key: string, value: CachedResponse): Promise<void>;
  /** removes an entry (a cache evicting it); stores that never evict leave it out */
  delete?(key: string): Promise<void>;
}

/** A cached response: status, content type, body and when it was fetched. */
export interface CachedResponse {
  status: number;
  contentType?: string;
  body: Uint8Array;
  /** ms since the epoch */
  fetchedAt: number;
}

/** Options of cachingFetch. */
export interface CachingFetchOptions {
  store?: RepodataStore;
  /** how long non-shard metadata stays fresh (default 10 minutes) */
  maxAgeMs?: number;
  now?: () => number;
  /** hand the solver CEP-16 shards with hashes as bytes, as it requires (default true; see normalizeShard) */
  normalizeShards?: boolean;
}

/** The counters of a caching fetch (for progress, tests and benchmarks). */
export interface CacheStats {
  hits: number;
  misses: number;
}

const METADATA = /\/(repodata(_from_packages)?\.json(\.zst|\.bz2)?|current_repodata\.json(\.bz2)?|repodata_shards\.msgpack\.zst|[0-9a-f]{64}\.msgpack\.zst)$/;
const SHARD = /\/([0-9a-f]{64})\.msgpack\.zst$/;

/**
 * A synthetic Response for `url` (the solver's wasm needs `url` set). The body is a stream of one chunk, a copy of
 * the cached bytes (a reader may keep, change or transfer it): in a Chromium worker a Response made from the bytes
 * themselves costs ~6.5 ms to read per 3 MB (they are copied in and out of the browser's body buffer), the stream
 * ~3.5 ms with the copy.
 */
export function responseFor(url: string, c: CachedResponse): Response {
  const body = c.status === 404 || c.status === 204 ? null : new ReadableStream<Uint8Array>({
    start(ctrl) { ctrl.enqueue(c.body.slice()); ctrl.close(); },
  });
  const res = new Response(body, {
    status: c.status, headers: c.contentType ? { 'content-type': c.contentType } : {},
  });
  Object.defineProperty(res, 'url', { value: url });
  return res;
}

/** Wraps `inner` so channel metadata is cached; every other request passes straight through. */
export function cachingFetch(inner: typeof fetch, opts: CachingFetchOptions = {}): typeof fetch & { stats: CacheStats } {
  const memory = new Map<string, CachedResponse>();
  const now = opts.now ?? Date.now;
  const maxAge = opts.maxAgeMs ?? 10 * 60_000;
  const stats: CacheStats = { hits: 0, misses: 0 };
  const serve = (url: string, c: CachedResponse) => (opts.normalizeShards !== false && c.status === 200 && SHARD.test(url)
    ? responseFor(url, { ...c, body: normalizeShard(c.body, url) }) : responseFor(url, c));
  const fresh = (url: string, c: CachedResponse) => SHARD.test(url) || now() - c.fetchedAt < maxAge;
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (opts.normalizeShards !== false) await loadZstdWasm().catch(() => {}); // shards decode in wasm where it loads
    const req = new Request(input, init);
    const url = req.url.split('#')[0];
    if (req.method !== 'GET' || !METADATA.test(new URL(url).pathname)) return inner(input, init);
    let hit = memory.get(url);
    if (!hit && opts.store) {
      hit = await opts.store.get(url);
      if (hit) memory.set(url, hit);
    }
    if (hit && fresh(url, hit)) { stats.hits++; return serve(url, hit); }
    stats.misses++;
    const res = await inner(url, { signal: req.signal, headers: req.headers });
    if (res.status !== 200 && res.status !== 404) return res;
    const body = res.status === 200 ? new Uint8Array(await res.arrayBuffer()) : new Uint8Array();
    const entry: CachedResponse = { status: res.status, body, fetchedAt: now(), ...(res.headers.get('content-type') ? { contentType: res.headers.get('content-type')! } : {}) };
    const shard = SHARD.exec(new URL(url).pathname);
    // a shard whose bytes do not hash to its name is passed on (the solver reports it) but never cached
    const verified = !shard || res.status !== 200 || digestHex(await sha256(body)) === shard[1];
    // a local channel's answers say no-store: a folder changes under a cache, and reading it costs no network
    const keep = verified && !/no-store/i.test(res.headers.get('cache-control') ?? '');
    if (keep) {
      memory.set(url, entry);
      // a store that cannot keep it (full, or no OPFS here) costs the next session a fetch, never this solve
      await opts.store?.put(url, entry).catch(() => undefined);
    }
    return verified ? serve(url, entry) : responseFor(url, entry);
  };
  return Object.assign(wrapped as typeof fetch, { stats });
}

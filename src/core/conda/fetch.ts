/**
 * Fetching conda packages: in parallel (bounded), each verified against its repodata sha256 while it
 * streams, stored in a BlobStore by digest (so a rebuild downloads nothing), with progress events.
 * The URL fetched may differ from the record's URL (a proxy); the record keeps the upstream URL.
 */
import { getVerified, type BlobStore } from '../cache';
import { createMd5, md5Hex, parseDigest, type Digest } from '../digest';
import { CoreError } from '../errors';
import { resumableBody } from '../net/resumable';
import { inLanes } from '../stream';

/** What fetching needs to know of a package (a repodata record with its download URL). */
export interface PackageToFetch {
  /** archive file name, e.g. `zlib-1.2.13-h5eee18b_0.conda` */
  fn: string;
  /** upstream URL of the archive */
  url: string;
  /** sha256 hex from repodata */
  sha256: string;
  /** byte length from repodata (checked when given) */
  size?: number;
}

/** Progress of one package: `bytes` of `total` received; `cached` when nothing had to be downloaded. */
export interface FetchProgress {
  fn: string;
  bytes: number;
  total?: number;
  cached: boolean;
  done: boolean;
}

/** Options of fetchPackages. */
export interface FetchPackagesOptions {
  store: BlobStore;
  /** the network (the browser passes a proxy-routing fetch); default globalThis.fetch */
  fetch?: typeof fetch;
  /** downloads at once (default 6) */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: FetchProgress) => void;
  /**
   * receives the md5 of each package named here (file names), taken in the same read that verifies or
   * stores it: conda-meta records md5, which an explicit lock does not carry
   */
  md5?: { of: Set<string>; onMd5(fn: string, hex: string): void };
}

/** Downloads (or finds in the store) every package; returns their verified Blobs by file name. */
export async function fetchPackages(pkgs: PackageToFetch[], opts: FetchPackagesOptions): Promise<Map<string, Blob>> {
  const out = new Map<string, Blob>();
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const one = async (p: PackageToFetch): Promise<void> => {
    let digest: Digest;
    try {
      digest = parseDigest(`sha256:${p.sha256.toLowerCase()}`);
    } catch (e) {
      throw new CoreError('invalid-argument', `${p.fn}: repodata has no valid sha256 ("${p.sha256}"), so it cannot be verified`, { cause: e });
    }
    const md5 = opts.md5?.of.has(p.fn) ? await createMd5() : undefined;
    // hashed again: bytes changed on disk since they were stored are dropped and downloaded again
    const have = await getVerified(opts.store, digest, md5 && ((c) => md5.update(c)));
    const cachedMd5 = md5?.hex(); // (its hasher goes back for reuse either way)
    if (have) {
      out.set(p.fn, have);
      if (cachedMd5 !== undefined) opts.md5!.onMd5(p.fn, cachedMd5);
      opts.onProgress?.({ fn: p.fn, bytes: have.size, total: have.size, cached: true, done: true });
      return;
    }
    // a body cut mid-way is resumed with Range (3 tries in all); the store verifies the whole
    const body = await resumableBody(doFetch, p.url, { what: p.fn, ...(opts.signal ? { signal: opts.signal } : {}) });
    let bytes = 0;
    const counted = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        bytes += chunk.byteLength;
        opts.onProgress?.({ fn: p.fn, bytes, total: p.size, cached: false, done: false });
        c.enqueue(chunk);
      },
    }));
    try {
      const stored = await opts.store.put(digest, counted, p.size);
      out.set(p.fn, stored);
      // the md5 of the verified bytes as stored (another tab may have stored them meanwhile)
      if (md5) opts.md5!.onMd5(p.fn, await md5Hex(stored));
    } catch (e) {
      if (e instanceof CoreError && !e.message.startsWith(`${p.fn}: `)) {
        throw new CoreError(e.code, `${p.fn} (${p.url}): ${e.message}`, { cause: e });
      }
      throw e;
    }
    opts.onProgress?.({ fn: p.fn, bytes, total: p.size, cached: false, done: true });
  };
  await inLanes(pkgs, opts.concurrency ?? 6, async (p) => {
    opts.signal?.throwIfAborted();
    try {
      await one(p);
    } catch (e) {
      // the store just became full (an overflowBlobStore): its next write goes elsewhere, so fetch once more
      if (!(e instanceof CoreError && e.code === 'storage-full')) throw e;
      await one(p);
    }
  });
  return out;
}

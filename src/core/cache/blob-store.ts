/**
 * Content-addressed blob storage that holds only verified bytes: a blob is written under a temporary name
 * and becomes visible under its digest only once the whole stream hashed to that digest.
 */
import { digestStream, verifyingStream, type Digest } from '../digest';
import { CoreError } from '../errors';

/** A store of blobs keyed by their sha256 digest. */
export interface BlobStore {
  has(digest: Digest): Promise<boolean>;
  /** the stored blob, or undefined */
  get(digest: Digest): Promise<Blob | undefined>;
  /**
   * Stores a stream under `digest` after checking it (and its size, when given); returns the stored blob.
   * A stream that errors or does not match leaves nothing behind and rejects.
   */
  put(digest: Digest, stream: ReadableStream<Uint8Array>, size?: number): Promise<Blob>;
  /** removes the blob (nothing happens when it is absent) */
  delete(digest: Digest): Promise<void>;
}

/**
 * The stored blob after hashing it again: bytes changed on disk since they were stored (a corrupt or tampered
 * cache) are removed and reported as absent, so the caller fetches or builds them again. One read of the blob;
 * `onChunk` sees each chunk of it as it is hashed (to take another hash in the same read).
 */
export async function getVerified(store: BlobStore, digest: Digest, onChunk?: (chunk: Uint8Array) => void): Promise<Blob | undefined> {
  const blob = await store.get(digest);
  if (!blob) return undefined;
  const actual = await digestStream(blob.stream(), onChunk).then((r) => r.digest, () => undefined);
  if (actual === digest) return blob;
  await store.delete(digest);
  return undefined;
}

/** An in-memory BlobStore (tests, small blobs; the browser uses OPFS and Node a folder for layers). */
export function memoryBlobStore(): BlobStore & { readonly size: number } {
  const blobs = new Map<Digest, Blob>();
  return {
    async has(d) { return blobs.has(d); },
    async get(d) { return blobs.get(d); },
    async put(d, stream, size) {
      const existing = blobs.get(d);
      if (existing) { await stream.cancel(); return existing; }
      const chunks: Uint8Array[] = [];
      const reader = stream.pipeThrough(verifyingStream(d, size)).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
      const blob = new Blob(chunks as BlobPart[]);
      blobs.set(d, blob);
      return blob;
    },
    async delete(d) { blobs.delete(d); },
    get size() { return blobs.size; },
  };
}

/** Whether an error is the storage being full (the browser's QuotaExceededError, Node's ENOSPC/EDQUOT), here or in its causes. */
export function isStorageFull(e: unknown): boolean {
  const x = e as { name?: unknown; code?: unknown; cause?: unknown } | undefined;
  if (!x || typeof x !== 'object') return false;
  return x.name === 'QuotaExceededError' || x.code === 'ENOSPC' || x.code === 'EDQUOT' || x.code === 'storage-full' || (x.cause !== undefined && isStorageFull(x.cause));
}

/**
 * A store that writes to `primary` until a write finds it full, then to `fallback` (memory, a temporary
 * folder) for good: the write that failed rejects with CoreError 'storage-full' (its stream is spent, so the
 * caller fetches again and the next put goes to `fallback`), and `onFull` is called once. Reads look in both.
 */
export function overflowBlobStore(primary: BlobStore, fallback: BlobStore, onFull?: (e: unknown) => void): BlobStore {
  let full = false;
  return {
    async has(d) { return (await primary.has(d)) || fallback.has(d); },
    async get(d) { return (await primary.get(d)) ?? fallback.get(d); },
    async put(d, stream, size) {
      if (full) return fallback.put(d, stream, size);
      try {
        return await primary.put(d, stream, size);
      } catch (e) {
        if (!isStorageFull(e)) throw e;
        if (!full) { full = true; onFull?.(e); }
        throw new CoreError('storage-full', `the cache is full (storage quota exceeded) while storing ${d}: continuing uncached`, { cause: e });
      }
    },
    async delete(d) { await primary.delete(d); await fallback.delete(d); },
  };
}

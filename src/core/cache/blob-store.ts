/**
 * Content-addressed blob storage that holds only verified bytes: a blob is written under a temporary name
 * and becomes visible under its digest only once the whole stream hashed to that digest.
 */
import { verifyingStream, type Digest } from '../digest';

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
    get size() { return blobs.size; },
  };
}

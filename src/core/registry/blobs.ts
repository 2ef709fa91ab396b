/**
 * Blobs: streamed and verified while streaming. A connection dropped mid-blob is resumed with `Range`
 * from the byte reached (the hash carries on); bytes never reach the consumer's end unverified.
 */
import { createSha256, type Digest } from '../digest';
import { CoreError, DigestMismatchError, SizeMismatchError, toError } from '../errors';
import { skipBytes } from '../net/resumable';
import type { RegistryClient } from './client';

/** Options of fetchBlob. */
export interface FetchBlobOptions {
  /** the blob's size from its descriptor, checked too */
  size?: number;
  signal?: AbortSignal;
  /** resumptions after dropped connections (default 5) */
  maxResumes?: number;
  /** progress: bytes received so far */
  onProgress?: (bytes: number) => void;
  /**
   * false: the bytes are not hashed here because the caller hands the stream to a BlobStore's put, which
   * checks the digest itself and stores nothing that does not match (one sha256 pass instead of two); the
   * size is still checked. Default true.
   */
  verify?: boolean;
}

/**
 * A stream of the blob's bytes (as stored: compressed for most layers). It errors with
 * DigestMismatchError/SizeMismatchError at the end rather than closing cleanly if the bytes are wrong.
 */
export function fetchBlob(client: RegistryClient, registry: string, repository: string, digest: Digest, opts: FetchBlobOptions = {}): ReadableStream<Uint8Array> {
  let received = 0;
  let resumes = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let hasher: Awaited<ReturnType<typeof createSha256>> | undefined;
  const what = `blob ${digest} of ${registry}/${repository}`;
  const open = async (): Promise<void> => {
    const headers: Record<string, string> = received > 0 ? { range: `bytes=${received}-` } : {};
    const res = await client.request(registry, repository, `/v2/${repository}/blobs/${digest}`, { headers, signal: opts.signal, what });
    if (!res.body) throw new CoreError('network-error', `${what}: empty response`);
    // no range support: drop what we already have
    reader = skipBytes(res.body.getReader(), received > 0 && res.status !== 206 ? received : 0);
  };
  return new ReadableStream<Uint8Array>({
    async start() {
      if (opts.verify !== false) hasher = await createSha256();
      await open();
    },
    async pull(controller) {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader!.read();
        } catch (e) {
          if (opts.signal?.aborted || resumes >= (opts.maxResumes ?? 5)) {
            throw new CoreError('network-error', `${what}: connection lost after ${received} bytes (${toError(e).message})`, { cause: e });
          }
          resumes++;
          await open();
          continue;
        }
        if (chunk.done) {
          if (opts.size !== undefined && received !== opts.size) {
            // a short body with no error: try to resume once more before calling it a size mismatch
            if (received < opts.size && resumes < (opts.maxResumes ?? 5)) { resumes++; await open(); continue; }
            throw new SizeMismatchError(opts.size, received, what);
          }
          const actual = hasher?.digest();
          if (actual !== undefined && actual !== digest) throw new DigestMismatchError(digest, actual, what);
          controller.close();
          return;
        }
        received += chunk.value.byteLength;
        if (opts.size !== undefined && received > opts.size) throw new SizeMismatchError(opts.size, received, what);
        hasher?.update(chunk.value);
        opts.onProgress?.(received);
        controller.enqueue(chunk.value);
        return;
      }
    },
    cancel(reason) { return reader?.cancel(reason); },
  });
}

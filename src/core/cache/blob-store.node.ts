/** A BlobStore in a folder (Node): `<dir>/sha256/<hex>`, written as `<hex>.tmp-…` and renamed once verified. */
import { existsSync, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { digestHex, streamSha256, type Digest } from '../digest';
import { DigestMismatchError, SizeMismatchError } from '../errors';
import type { BlobStore } from './blob-store';
import { openFileBlob } from './file-blob.node.js';
import { fileAppender } from '../stream/file-appender.node.js';

let counter = 0;

/**
 * Reads `stream` to its end into `fh`, hashing each chunk as it comes (no stream stages between the reader,
 * the hash and the file), in the gathered writes of fileAppender.
 * Rejects with SizeMismatchError as soon as more than `size` bytes come, and with SizeMismatchError or
 * DigestMismatchError at the end when the bytes are not the ones named; the stream is cancelled on any failure.
 */
async function writeVerified(stream: ReadableStream<Uint8Array>, fh: FileHandle, d: Digest, size: number | undefined): Promise<void> {
  const hasher = streamSha256();
  const reader = stream.getReader();
  const out = fileAppender(fh);
  let total = 0;
  try {
    await hasher.ready();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      const chunk = r.value;
      total += chunk.byteLength;
      if (size !== undefined && total > size) throw new SizeMismatchError(size, total, `blob ${d}`);
      // the chunk is only read from here on (hashed, then written), never changed
      const wait = hasher.update(chunk);
      if (wait) await wait;
      await out.append(chunk);
    }
    if (size !== undefined && total !== size) throw new SizeMismatchError(size, total, `blob ${d}`);
    await out.finish();
    const actual = await hasher.digest();
    if (actual !== d) throw new DigestMismatchError(d, actual, 'blob');
  } catch (e) {
    hasher.cancel();
    reader.cancel(e).catch(() => {});
    await out.settle();
    throw e;
  } finally {
    reader.releaseLock();
  }
}

/** A BlobStore over a folder; concurrent puts of the same digest are safe (the last rename wins, same bytes). */
export function folderBlobStore(dir: string): BlobStore {
  const root = join(dir, 'sha256');
  mkdirSync(root, { recursive: true });
  const path = (d: Digest) => join(root, digestHex(d));
  return {
    async has(d) { return existsSync(path(d)); },
    async get(d) { return existsSync(path(d)) ? openFileBlob(path(d)) : undefined; },
    async put(d, stream, size) {
      const final = path(d);
      if (existsSync(final)) { await stream.cancel(); return openFileBlob(final); }
      const tmp = `${final}.tmp-${process.pid}-${++counter}`;
      // the file exists before any byte flows, so a failure can always remove it (no late open after rm)
      const fh = await open(tmp, 'wx');
      try {
        await writeVerified(stream, fh, d, size);
        await fh.close();
        await rename(tmp, final);
      } catch (e) {
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
        throw e;
      }
      return openFileBlob(final);
    },
    async delete(d) { await rm(path(d), { force: true }); },
  };
}

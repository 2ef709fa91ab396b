/**
 * Node: writes a docker-archive into a file in one pass. The file can seek, so each layer streams
 * straight from its source (decompressed and verified on the way) without a pass to learn its size;
 * the tar headers are fixed up at the end. Same bytes as writeDockerArchive's stream.
 */
import { open, rename, rm } from 'node:fs/promises';
import { writeDockerArchiveToSeekable, type ArchiveWriteItem, type SeekableSink, type WriteArchiveOptions } from './write';

/** A SeekableSink over a file handle, appending in writes of about 1 MiB. */
async function fileSink(path: string): Promise<SeekableSink> {
  const fh = await open(path, 'wx');
  let at = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const writeAll = async (buf: Uint8Array, position: number) => {
    for (let off = 0; off < buf.byteLength;) off += (await fh.write(buf, off, buf.byteLength - off, position + off)).bytesWritten;
  };
  // one write may be in flight while the next megabyte is produced
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (pendingBytes === 0) return;
    const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await inflight;
    inflight = writeAll(buf, at);
    at += buf.byteLength;
  };
  return {
    async write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= 1 << 20) await flush();
    },
    async writeAt(position, bytes) {
      await flush();
      await inflight;
      await writeAll(bytes, position);
    },
    async close() {
      await flush();
      await inflight;
      await fh.close();
    },
    async abort() {
      await inflight.catch(() => {});
      await fh.close();
    },
  };
}

/**
 * Writes the archive to `path`; resolves to its size in bytes. It is written under a temporary name
 * beside `path` and renamed once complete: a failed write (a digest mismatch, a dropped connection)
 * leaves no partial archive and keeps an existing file at `path` as it was.
 */
export async function writeDockerArchiveToFile(items: ArchiveWriteItem[], path: string, opts: Omit<WriteArchiveOptions, 'onPatch'> = {}): Promise<number> {
  const partial = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  try {
    const n = await writeDockerArchiveToSeekable(items, await fileSink(partial), opts);
    await rename(partial, path);
    return n;
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

/**
 * Node: writes a docker-archive into a file in one pass. The file can seek, so each layer streams
 * straight from its source (decompressed and verified on the way) without a pass to learn its size;
 * the tar headers are fixed up at the end. Same bytes as writeDockerArchive's stream.
 */
import { rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { writeDockerArchiveToSeekable, type ArchiveItem, type SeekableSink, type WriteArchiveOptions } from './write';

/** A SeekableSink over a file handle, appending in writes of about 1 MiB. */
async function fileSink(path: string): Promise<SeekableSink> {
  const fh = await open(path, 'wx');
  let at = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const writeAll = async (buf: Uint8Array, position: number) => {
    for (let off = 0; off < buf.byteLength;) off += (await fh.write(buf, off, buf.byteLength - off, position + off)).bytesWritten;
  };
  /** the pieces in one gathered write (no copy into one buffer), then any rest a short write left */
  const writeParts = async (parts: Uint8Array[], bytes: number, position: number) => {
    if (parts.length > 512) parts = [Buffer.concat(parts, bytes)]; // under the system's limit on pieces per write
    const n = (await fh.writev(parts, position)).bytesWritten;
    if (n === bytes) return;
    let written = n; // a short write: finish each part from where it stopped
    let pos = position;
    for (const p of parts) {
      if (written >= p.byteLength) written -= p.byteLength;
      else { await writeAll(p.subarray(written), pos + written); written = 0; }
      pos += p.byteLength;
    }
  };
  // one write may be in flight while the next megabyte is produced
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (pendingBytes === 0) return;
    const parts = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await inflight;
    inflight = writeParts(parts, bytes, at);
    at += bytes;
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

/** Partial files still being written: a process that exits meanwhile (process.exit, a signal handler) removes them. */
const unfinished = new Set<string>();
let exitHooked = false;

function removeOnExit(path: string): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => { for (const p of unfinished) rmSync(p, { force: true }); });
  }
  unfinished.add(path);
}

/**
 * Writes the archive to `path`; resolves to its size in bytes. It is written under a temporary name
 * beside `path` and renamed once complete: a failed write (a digest mismatch, a dropped connection)
 * leaves no partial archive and keeps an existing file at `path` as it was; so does a process that exits
 * while writing (the CLI exits so on SIGINT and SIGTERM).
 */
export async function writeDockerArchiveToFile(items: ArchiveItem[], path: string, opts: Omit<WriteArchiveOptions, 'onPatch'> = {}): Promise<number> {
  const partial = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  removeOnExit(partial);
  try {
    const n = await writeDockerArchiveToSeekable(items, await fileSink(partial), opts);
    await rename(partial, path);
    return n;
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    unfinished.delete(partial);
  }
}

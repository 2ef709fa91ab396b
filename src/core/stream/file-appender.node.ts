/**
 * Node: appends to an open file in gathered writes of about 1 MiB (the pieces handed to one writev, no copy
 * into one buffer), with one write in flight while the next megabyte gathers. Short writes are finished from
 * where they stopped. Used by the archive file writer and the folder blob store.
 */
import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before one write. */
const BATCH = 1 << 20;

/** An appender over `fh`, starting at offset 0. */
export interface FileAppender {
  /** adds `chunk` (kept, not copied: it must not change until written); resolves when more may be added */
  append(chunk: Uint8Array): Promise<void>;
  /** writes `bytes` at `position` once everything appended so far is written */
  writeAt(position: number, bytes: Uint8Array): Promise<void>;
  /** writes what is gathered and waits for every write */
  finish(): Promise<void>;
  /** waits for the write in flight, ignoring its failure (before closing a file being given up) */
  settle(): Promise<void>;
}

export function fileAppender(fh: FileHandle): FileAppender {
  let at = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let inflight: Promise<void> = Promise.resolve();
  const writeAll = async (buf: Uint8Array, position: number) => {
    for (let off = 0; off < buf.byteLength;) off += (await fh.write(buf, off, buf.byteLength - off, position + off)).bytesWritten;
  };
  /** the pieces in one gathered write, then any rest a short write left */
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
    async append(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= BATCH) await flush();
    },
    async writeAt(position, bytes) {
      await flush();
      await inflight;
      await writeAll(bytes, position);
    },
    async finish() {
      await flush();
      await inflight;
    },
    settle: () => inflight.catch(() => {}),
  };
}

/**
 * Index of a tar held in a Blob (a File, an OPFS file, `fs.openAsBlob`): only header blocks are read,
 * through `Blob.slice`, and entry bodies are jumped over using their size.
 */
import { BLOCK } from './header';
import { walkTar, type TarSource } from './entries';
import type { TarEntry, TarWarning } from './types';

/** Index of a tar held in a Blob; reads only header blocks via Blob.slice (no entry body is read). */
export interface TarIndex {
  entries: TarEntry[];
  warnings: TarWarning[];
  /** bytes up to and including the end marker (or the last entry) */
  size: number;
}

/** Smallest and largest read-ahead window, in bytes. */
const MIN_WINDOW = 64 * 1024;
const MAX_WINDOW = 4 * 1024 * 1024;
/**
 * A gap (skipped body bytes) up to this size is cheaper to read through than to jump over: one Blob
 * read costs about 0.6 ms in Chromium (≈ 360 kB of bulk reading at ~600 MB/s), ~0.07 ms in Node.
 */
const READ_THROUGH = 256 * 1024;

/**
 * Random access over a Blob: reads in windows, skips by moving the offset. The window adapts: while the
 * next header keeps landing just past it (dense small entries), it doubles up to MAX_WINDOW so the
 * headers come from few large reads; after a long jump (a big body) it shrinks back to MIN_WINDOW.
 */
class BlobSource implements TarSource {
  position = 0;
  private win = new Uint8Array(0);
  private winStart = 0;
  private ahead = MIN_WINDOW;

  constructor(private readonly blob: Blob) {}

  async read(n: number): Promise<Uint8Array> {
    const start = this.position;
    const end = Math.min(start + n, this.blob.size);
    const winEnd = this.winStart + this.win.length;
    if (start >= this.winStart && end <= winEnd) {
      this.position = end;
      return this.win.subarray(start - this.winStart, end - this.winStart);
    }
    // headers (n = 512) get a window so the next headers need no further read; bigger reads
    // (extension headers) fetch exactly what is asked
    if (n <= BLOCK && this.win.length > 0) {
      const gap = start - winEnd;
      this.ahead = gap >= 0 && gap <= READ_THROUGH ? Math.min(this.ahead * 2, MAX_WINDOW) : MIN_WINDOW;
    }
    const fetchEnd = n <= BLOCK ? Math.min(start + Math.max(this.ahead, n), this.blob.size) : end;
    const buf = new Uint8Array(await this.blob.slice(start, fetchEnd).arrayBuffer());
    if (n <= BLOCK) {
      this.win = buf;
      this.winStart = start;
    }
    this.position = end;
    return buf.subarray(0, end - start);
  }

  async skip(n: number): Promise<number> {
    const to = Math.min(this.position + n, this.blob.size);
    const done = to - this.position;
    this.position = to;
    return done;
  }
}

/**
 * Indexes a tar held in a Blob (uncompressed). Entries carry `headerOffset`/`dataOffset` into the Blob;
 * see `entryBlob`. Throws TarError 'tar-truncated' / 'tar-corrupt' (see `walkTar` for the GNU-tar-like
 * rules); warnings (missing end marker, non-UTF-8 names, ...) are collected in `warnings`.
 */
export async function indexTar(blob: Blob, opts?: { signal?: AbortSignal }): Promise<TarIndex> {
  const warnings: TarWarning[] = [];
  const entries: TarEntry[] = [];
  const walk = walkTar(new BlobSource(blob), (w) => warnings.push(w), opts?.signal);
  for (;;) {
    const r = await walk.next();
    if (r.done) return { entries, warnings, size: r.value };
    entries.push(r.value);
  }
}

/** Random access over bytes in memory. */
class BytesSource implements TarSource {
  position = 0;
  constructor(private readonly bytes: Uint8Array) {}
  read(n: number): Promise<Uint8Array> {
    const start = this.position;
    this.position = Math.min(start + n, this.bytes.byteLength);
    return Promise.resolve(this.bytes.subarray(start, this.position));
  }
  skip(n: number): Promise<number> {
    const to = Math.min(this.position + n, this.bytes.byteLength);
    const done = to - this.position;
    this.position = to;
    return Promise.resolve(done);
  }
}

/** indexTar over a tar held in memory (same entries, warnings and errors). */
export async function indexTarBytes(bytes: Uint8Array): Promise<TarIndex> {
  const warnings: TarWarning[] = [];
  const entries: TarEntry[] = [];
  const walk = walkTar(new BytesSource(bytes), (w) => warnings.push(w));
  for (;;) {
    const r = await walk.next();
    if (r.done) return { entries, warnings, size: r.value };
    entries.push(r.value);
  }
}

/**
 * The bytes of one entry's data as a Blob slice (no copy): `entry.size` bytes at `entry.dataOffset`
 * (for sparse entries, the stored data — holes are not reconstructed).
 */
export function entryBlob(blob: Blob, entry: TarEntry): Blob {
  return blob.slice(entry.dataOffset, entry.dataOffset + entry.size);
}

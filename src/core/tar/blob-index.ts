/**
 * Index of a tar held in a Blob (a File, an OPFS file, `fs.openAsBlob`): only header blocks are read,
 * through `Blob.slice`, and entry bodies are jumped over using their size.
 */
import { releaseBuffer } from '../memory';
import { scanTar, walkTar, type TarSource } from './entries';
import type { TarEntry, TarWarning } from './types';

/** Index of a tar held in a Blob; reads only header blocks via Blob.slice (no entry body is read). */
export interface TarIndex {
  entries: TarEntry[];
  warnings: TarWarning[];
  /** bytes up to and including the end marker (or the last entry) */
  size: number;
}

/** Bytes of the one buffer a BlobSource reads into (reused for the whole walk). */
const BUFFER = 1024 * 1024;
/**
 * A gap (skipped body bytes) up to this size is read through rather than jumped over: a jump ends the
 * Blob stream and opens another, which costs about 0.8 ms in Chromium (≈ 450 kB of streaming at
 * ~575 MB/s), ~0.07 ms in Node.
 */
const READ_THROUGH = 256 * 1024;

/**
 * Bytes of Blob asked for by one stream: the first after a jump, and the most. A stream over the rest of
 * the Blob would let the browser read (and queue in memory) far past the next jump; one span at a time,
 * doubling while the walk goes on without jumping, bounds both.
 */
const MIN_SPAN = 1024 * 1024;
const MAX_SPAN = 16 * 1024 * 1024;

/**
 * A BYOB read of a Blob stream that has not settled after this long is taken for stalled: the stream is
 * cancelled and the walk goes on from the same offset with a default reader (see `BlobSource.pull`).
 */
export const STALL_MS = 5000;

/**
 * Full-size buffers of finished walks, taken by the next ones: a session that walks many layers (a few
 * at a time) reuses a few buffers instead of leaving one per walk for the collector. Kept only while a
 * walk runs: when the last running walk closes they are let go, so an index that is done holds none.
 */
const spareBuffers: Uint8Array[] = [];
const SPARE_BUFFERS = 4;
/** BlobSources made and not yet closed */
let openSources = 0;

/** Pulls bytes of one Blob stream into a caller's buffer. */
interface Puller {
  /**
   * Puts up to `buf.length - at` bytes in `buf` at `at`; returns how many (0 at the end of the stream) and
   * the buffer that holds them now (a BYOB read hands the same memory back in a new view).
   */
  pull(buf: Uint8Array, at: number): Promise<{ got: number; buf: Uint8Array }>;
  cancel(): void;
  /** true when a pull lends `buf` to the stream (BYOB): it is detached until the pull settles */
  byob: boolean;
}

/**
 * The stream read straight into our buffer (BYOB): no chunk is allocated per read. With a default
 * reader each chunk is a new ArrayBuffer, and a walk that reads through hundreds of megabytes of small
 * entries raises the renderer's memory by about as much as it reads before the collector frees them.
 */
function byobPuller(stream: ReadableStream<Uint8Array>): Puller | undefined {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    return undefined; // not a byte stream here
  }
  return {
    async pull(buf, at) {
      const size = buf.length; // the read detaches buf
      const r = await reader.read(new Uint8Array(buf.buffer, buf.byteOffset + at, size - at));
      const back = r.value ? new Uint8Array(r.value.buffer, r.value.byteOffset - at, size) : buf;
      return { got: r.done ? 0 : r.value!.byteLength, buf: back };
    },
    cancel: () => { reader.cancel().catch(() => {}); },
    byob: true,
  };
}

/** The stream's chunks copied into our buffer: for a stream that is not a byte stream (no BYOB reader). */
function chunkPuller(stream: ReadableStream<Uint8Array>): Puller {
  const reader = stream.getReader();
  let rest: Uint8Array = new Uint8Array(0);
  return {
    async pull(buf, at) {
      while (rest.length === 0) {
        const r = await reader.read();
        if (r.done) return { got: 0, buf };
        rest = r.value;
      }
      const got = Math.min(rest.length, buf.length - at);
      buf.set(rest.subarray(0, got), at);
      rest = rest.subarray(got);
      return { got, buf };
    },
    cancel: () => { reader.cancel().catch(() => {}); },
    byob: false,
  };
}

/**
 * Forward access over a Blob through its stream: bytes are read (BYOB) or copied into one reused 1 MiB
 * buffer, so a walk over dense small entries costs a few stream reads and no allocation per header. A skip that
 * lands within READ_THROUGH of the buffered bytes reads through; a longer one ends the stream and opens
 * another at the target (a big entry body is never read). Bytes returned by `read` stay valid until the
 * next `read`. Reads longer than half the buffer (large extension headers) get a stream of their own.
 */
class BlobSource implements TarSource {
  position = 0;
  /** never larger than the Blob: a small archive or layer does not pay for a 1 MiB buffer per walk */
  private buf: Uint8Array;
  /** archive offset of buf[0]; buf[0, len) holds valid bytes */
  private start = 0;
  private len = 0;
  private puller?: Puller;
  /** archive offset where the current stream ends */
  private streamEnd = 0;
  private span = MIN_SPAN;
  /** false once a BYOB read stalled: this walk's later streams are read with a default reader */
  private byob = true;

  private closed = false;

  constructor(private readonly blob: Blob, private readonly stallMs = STALL_MS) {
    this.buf = blob.size >= BUFFER ? spareBuffers.pop() ?? new Uint8Array(BUFFER) : new Uint8Array(blob.size);
    openSources++;
  }

  /** The bytes at the position when they are buffered already (no await needed). */
  readSync(n: number): Uint8Array | undefined {
    const got = this.peekSync(n);
    if (got) this.position += n;
    return got;
  }

  /** As `readSync`, the position left where it is. */
  peekSync(n: number): Uint8Array | undefined {
    const from = this.position - this.start;
    if (from < 0 || from + n > this.len) return undefined;
    return this.buf.subarray(from, from + n);
  }

  async read(n: number): Promise<Uint8Array> {
    const got = this.readSync(n);
    if (got) return got;
    const at = this.position;
    const end = Math.min(at + n, this.blob.size);
    if (n > BUFFER / 2) {
      this.position = end;
      return new Uint8Array(await new Response(this.blob.slice(at, end).stream()).arrayBuffer());
    }
    const bufEnd = this.start + this.len;
    if (!this.puller || at < this.start || at - bufEnd > READ_THROUGH) this.open(at, MIN_SPAN);
    while (this.start + this.len < end) {
      // keep only what is at or after the position (at most n - 1 bytes), then pull behind it
      const keep = Math.min(Math.max(at, this.start), this.start + this.len);
      if (keep > this.start) {
        this.buf.copyWithin(0, keep - this.start, this.len);
        this.len -= keep - this.start;
        this.start = keep;
      }
      const got = await this.pull();
      if (got > 0) this.len += got;
      else if (this.streamEnd < this.blob.size && this.start + this.len === this.streamEnd) {
        this.puller = this.stream(this.streamEnd, Math.min(this.span * 2, MAX_SPAN)); // the next span, no jump
      } else break; // the Blob ended early (it changed under us): give what there is
    }
    const from = at - this.start;
    const to = Math.max(from, Math.min(end - this.start, this.len));
    this.position = this.start + to;
    return this.buf.subarray(from, to);
  }

  async skip(n: number): Promise<number> {
    return this.skipSync(n);
  }

  /** Skipping only moves the position (the next read decides whether to read through or jump). */
  skipSync(n: number): number {
    const to = Math.min(this.position + n, this.blob.size);
    const done = to - this.position;
    this.position = to;
    return done;
  }

  /**
   * Pulls behind the buffered bytes; returns how many came (0: the stream ended). A BYOB read that does
   * not settle within `stallMs` (seen in Chromium, rarely, with several walks over one File) is given
   * up: it holds our buffer, so the walk takes a fresh one, reopens at the buffer's start with a default
   * reader and pulls from there.
   */
  private async pull(): Promise<number> {
    const puller = this.puller!;
    const size = this.buf.length;
    if (!puller.byob) return (await puller.pull(this.buf, this.len)).got;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<undefined>((ok) => { timer = setTimeout(() => ok(undefined), this.stallMs); });
    const r = await Promise.race([puller.pull(this.buf, this.len), stalled]);
    clearTimeout(timer);
    if (r) {
      this.buf = r.buf;
      return r.got;
    }
    this.byob = false;
    this.buf = new Uint8Array(size);
    this.open(this.start, MIN_SPAN);
    return this.pull();
  }

  /** Ends the current stream and starts one of `span` bytes at `at`, with an empty buffer. */
  private open(at: number, span: number): void {
    this.puller?.cancel();
    this.puller = this.stream(at, span);
    this.start = at;
    this.len = 0;
  }

  private stream(at: number, span: number): Puller {
    this.span = span;
    this.streamEnd = Math.min(at + span, this.blob.size);
    const stream = this.blob.slice(at, this.streamEnd).stream();
    return (this.byob ? byobPuller(stream) : undefined) ?? chunkPuller(stream);
  }

  /**
   * Stops reading (the walk ended or failed); a full-size buffer not lent to a pending read is kept for
   * a walk still running or starting alongside; the last walk to close lets the spares go.
   */
  close(): void {
    this.puller?.cancel();
    this.puller = undefined;
    if (this.closed) return;
    this.closed = true;
    // a buffer lent to a pending read is detached (length 0) and left to that read; the others are
    // released (their memory freed now) once no walk can take them: the walk is over, its bytes unread
    if (--openSources === 0) {
      releaseBuffer(this.buf);
      for (const b of spareBuffers) releaseBuffer(b);
      spareBuffers.length = 0;
    } else if (this.buf.byteLength === BUFFER && this.buf.buffer.byteLength === BUFFER && spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(this.buf);
    else releaseBuffer(this.buf);
    this.buf = new Uint8Array(0);
  }
}

/**
 * The entries of a tar held in a Blob, one at a time (nothing kept): header blocks only, as `indexTar`
 * reads them. Returns the tar's size as `indexTar` gives it; errors and warnings as `indexTar`. This is
 * the walk itself (no generator around it: one async step per entry); the walk closes its source.
 * `keepNameBytes: false`: each entry's `nameBytes` is valid only until the next step (see `walkTar`).
 */
export function walkBlobTar(blob: Blob, warn: (w: TarWarning) => void, opts?: { signal?: AbortSignal; stallMs?: number; keepNameBytes?: boolean }): AsyncGenerator<TarEntry, number, void> {
  return walkTar(new BlobSource(blob, opts?.stallMs), warn, opts?.signal, opts?.keepNameBytes ?? true);
}

/**
 * The walk of `walkBlobTar` with a callback per entry instead of a generator step (see `scanTar`):
 * headers already read into the walk's buffer are parsed without a promise per entry. Resolves to the
 * tar's size; errors and warnings as `indexTar`. `keepNameBytes: false`: `nameBytes` valid only during the call.
 */
export function scanBlobTar(blob: Blob, warn: (w: TarWarning) => void, onEntry: (entry: TarEntry) => void, opts?: { signal?: AbortSignal; stallMs?: number; keepNameBytes?: boolean }): Promise<number> {
  return scanTar(new BlobSource(blob, opts?.stallMs), warn, onEntry, opts?.signal, opts?.keepNameBytes ?? true);
}

/**
 * Indexes a tar held in a Blob (uncompressed). Entries carry `headerOffset`/`dataOffset` into the Blob;
 * see `entryBlob`. Throws TarError 'tar-truncated' / 'tar-corrupt' (see `walkTar` for the GNU-tar-like
 * rules); warnings (missing end marker, non-UTF-8 names, ...) are collected in `warnings`.
 */
export async function indexTar(blob: Blob, opts?: { signal?: AbortSignal }): Promise<TarIndex> {
  const warnings: TarWarning[] = [];
  const entries: TarEntry[] = [];
  const walk = walkBlobTar(blob, (w) => warnings.push(w), opts);
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

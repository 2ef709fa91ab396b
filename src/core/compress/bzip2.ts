/**
 * bzip2 decompression in pure TypeScript (no Node APIs), for `.tar.bz2` conda packages and
 * `repodata.json.bz2` in browsers and Node alike. Streaming and block by block: at most one block
 * (≤ 900 000 bytes, a 3.6 MB index) plus its compressed input and one output chunk are held, so memory
 * stays bounded whatever the output size.
 *
 * A file is one or more streams ("BZh" + block size '1'..'9', blocks, an end marker with the combined
 * CRC, padding to a byte), as pbzip2 and lbzip2 write. Every block CRC and every stream CRC is checked.
 * Like bzip2 1.0.8 and Python's bz2, bytes after the last stream that do not start another one are
 * ignored. Corrupt or truncated input: CoreError 'compression-corrupt'; more output than `maxBytes`:
 * CoreError 'archive-invalid', raised before a byte past the limit is handed out.
 */
import { CoreError } from '../errors';
import { BitInput, Bzip2Block, NEED_INPUT, NeedInput } from './bzip2-block';

export { NEED_INPUT } from './bzip2-block';

/** Options of the bzip2 decoders. */
export interface Bunzip2Options {
  /** the most uncompressed bytes allowed; more is CoreError 'archive-invalid' (default: no limit) */
  maxBytes?: number;
  /** names the data in error messages, e.g. a file name (default 'bzip2 data') */
  what?: string;
}

/** Output chunk size (uncompressed bytes). */
const CHUNK = 256 * 1024;
const BLOCK_MAGIC = [0x314159, 0x265359]; // π, 48 bits
const END_MAGIC = [0x177245, 0x385090]; // √π, 48 bits

/**
 * A synchronous push decoder: `push` compressed chunks, `end()` after the last, and call `read()`
 * until it returns null. `read()` returns an output chunk (uncompressed), or NEED_INPUT when it cannot
 * go on without more input. Blocks are parsed once enough input is buffered for a whole block; a block
 * that still runs out of input is parsed again from its start when more has come.
 */
export class Bunzip2Decoder {
  private readonly input = new BitInput();
  private readonly block: Bzip2Block;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ended = false;
  private state: 'header' | 'block' | 'output' | 'end' = 'header';
  private failed: unknown;
  private level = 0;
  private streams = 0;
  private blocks = 0;
  private combinedCrc = 0;
  /** compressed bytes to buffer before parsing a block */
  private want = 0;
  private out: Uint8Array | undefined;
  private outPos = 0;
  /** uncompressed bytes handed out */
  private total = 0;
  private readonly what: string;
  private readonly maxBytes: number;

  constructor(opts: Bunzip2Options = {}) {
    this.what = opts.what ?? 'bzip2 data';
    this.maxBytes = Math.floor(opts.maxBytes ?? Infinity);
    if (!(this.maxBytes >= 0)) throw new CoreError('invalid-argument', `maxBytes must be a number ≥ 0, not ${opts.maxBytes}`);
    this.block = new Bzip2Block(this.what);
  }

  /** Adds compressed bytes (the chunk is kept until consumed: do not reuse its memory). */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('push after end');
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
  }

  /** Says no more input will come. */
  end(): void {
    this.ended = true;
  }

  /** The next chunk of output, NEED_INPUT, or null at the end. Throws CoreError on bad input. */
  read(): Uint8Array | NeedInput | null {
    if (this.failed) throw this.failed;
    try {
      return this.step();
    } catch (e) {
      // a decoder bug must not surface as a RangeError: it is reported as corrupt input, with its cause
      this.failed = e instanceof CoreError ? e : this.corrupt(`the decoder failed (${e instanceof Error ? e.message : String(e)})`, e);
      throw this.failed;
    }
  }

  private step(): Uint8Array | NeedInput | null {
    for (;;) {
      switch (this.state) {
        case 'output': {
          this.out ??= new Uint8Array(Math.min(CHUNK, this.maxBytes - this.total + 1));
          this.outPos = this.block.emit(this.out, this.outPos);
          if (this.total + this.outPos > this.maxBytes) {
            throw new CoreError('archive-invalid', `${this.what} expands past ${this.maxBytes} bytes: refusing it (a corrupt or malicious file)`);
          }
          if (this.block.done) this.endBlock();
          if (this.outPos === this.out.length) return this.flush();
          continue;
        }
        case 'block': {
          if (!this.ended && this.available() < this.want) return this.flushOr(NEED_INPUT);
          this.merge();
          const inp = this.input, pos = inp.pos, buf = inp.buf, count = inp.count;
          try {
            this.parseBlockOrEnd();
            this.want = this.level * 101_000 + 4096;
          } catch (e) {
            if (e !== NEED_INPUT) throw e;
            // the block is longer than what was buffered: retry from its start with twice as much
            inp.pos = pos; inp.buf = buf; inp.count = count;
            this.want = 2 * Math.max(this.want, this.available());
            return this.flushOr(NEED_INPUT);
          }
          continue;
        }
        case 'header': {
          this.merge();
          const inp = this.input, d = inp.data, p = inp.pos, have = d.length - p;
          if (have < 4 && !this.ended) return this.flushOr(NEED_INPUT);
          if (have >= 4 && d[p] === 0x42 && d[p + 1] === 0x5a && d[p + 2] === 0x68 && d[p + 3] >= 0x31 && d[p + 3] <= 0x39) {
            this.level = d[p + 3] - 0x30;
            inp.pos += 4;
            this.streams++;
            this.combinedCrc = 0;
            // a block's compressed size is about its size or less; random data grows it by < 1 %
            this.want = this.level * 101_000 + 4096;
            this.state = 'block';
            continue;
          }
          if (this.streams === 0) {
            const prefix = have < 4 && [0x42, 0x5a, 0x68].slice(0, have).every((b, i) => d[p + i] === b);
            throw this.corrupt(have === 0 ? 'the input is empty' : prefix ? 'the data ends early (truncated)' : 'it does not start with a bzip2 signature ("BZh" and a block size 1-9)');
          }
          this.state = 'end';
          continue;
        }
        case 'end':
          return this.flushOr(null);
      }
    }
  }

  /** Reads a block magic and parses the block, or reads the end marker and checks the stream CRC. */
  private parseBlockOrEnd(): void {
    const inp = this.input;
    const hi = inp.bits(24), lo = inp.bits(24);
    if (hi === BLOCK_MAGIC[0] && lo === BLOCK_MAGIC[1]) {
      this.blocks++;
      this.block.parse(inp, this.level);
      this.state = 'output';
      return;
    }
    const truncated = () => inp.eof && inp.overrun();
    if (hi !== END_MAGIC[0] || lo !== END_MAGIC[1]) {
      throw this.corrupt(truncated() ? 'the data ends early (truncated)' : `no block or end-of-stream signature after block ${this.blocks}`);
    }
    const stored = ((inp.bits(16) << 16) | inp.bits(16)) >>> 0;
    if (truncated()) throw this.corrupt('the data ends early (truncated)');
    if (stored !== this.combinedCrc) {
      throw this.corrupt(`stream ${this.streams}: combined CRC mismatch (stored ${hex(stored)}, computed ${hex(this.combinedCrc)})`);
    }
    // the next stream starts at a byte boundary: unread whole bytes go back, the padding bits are dropped
    inp.pos -= inp.count >> 3;
    inp.count = 0;
    inp.buf = 0;
    this.state = 'header';
  }

  private endBlock(): void {
    const got = this.block.computedCrc;
    if (got !== this.block.storedCrc) {
      throw this.corrupt(`block ${this.blocks}: CRC mismatch (stored ${hex(this.block.storedCrc)}, computed ${hex(got)})`);
    }
    this.combinedCrc = (((this.combinedCrc << 1) | (this.combinedCrc >>> 31)) ^ got) >>> 0;
    this.state = 'block';
  }

  /** Compressed bytes buffered and not yet read. */
  private available(): number {
    return this.input.data.length - this.input.pos + this.pendingBytes + (this.input.count >> 3);
  }

  /** Appends pending chunks to the unread part of the input (only between blocks: parses restart from there). */
  private merge(): void {
    const inp = this.input;
    if (this.pendingBytes > 0) {
      const rest = inp.data.subarray(inp.pos);
      const data = new Uint8Array(rest.byteLength + this.pendingBytes);
      data.set(rest);
      let o = rest.byteLength;
      for (const c of this.pending) { data.set(c, o); o += c.byteLength; }
      inp.data = data;
      inp.pos = 0;
      this.pending = [];
      this.pendingBytes = 0;
    }
    inp.eof = this.ended;
  }

  private flushOr<T>(then: T): Uint8Array | T {
    return this.outPos > 0 ? this.flush() : then;
  }

  private flush(): Uint8Array {
    const out = this.out!, n = this.outPos;
    // a short last chunk is copied so the rest of the chunk buffer is not kept alive by the consumer
    const chunk = n === out.length ? out : n >= out.length >> 1 ? out.subarray(0, n) : out.slice(0, n);
    this.total += n;
    this.out = undefined;
    this.outPos = 0;
    return chunk;
  }

  private corrupt(detail: string, cause?: unknown): CoreError {
    return new CoreError('compression-corrupt', `${this.what} is corrupt: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Decodes a bzip2 stream (compressed) into its uncompressed bytes, one output chunk per pull, reading
 * the source only as needed. Errors: see the module comment; the source is cancelled on an error.
 */
export function bunzip2Readable(source: ReadableStream<Uint8Array>, opts: Bunzip2Options = {}): ReadableStream<Uint8Array> {
  const dec = new Bunzip2Decoder(opts);
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const r = dec.read();
          if (r instanceof Uint8Array) { controller.enqueue(r); return; }
          if (r === null) {
            controller.close();
            // trailing bytes after the last stream are not needed
            await reader.cancel().catch(() => {});
            return;
          }
          const x = await reader.read();
          if (x.done) dec.end();
          else dec.push(x.value);
        }
      } catch (e) {
        await reader.cancel(e).catch(() => {});
        throw e;
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}

/**
 * A bzip2 decoder to `pipeThrough` (compressed in, uncompressed out), like a TransformStream but pulled:
 * the writable side is read only as fast as output is consumed, so a small input never expands into
 * a large queue.
 */
export function bunzip2Stream(opts: Bunzip2Options = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
  const pass = new TransformStream<Uint8Array, Uint8Array>();
  return { writable: pass.writable, readable: bunzip2Readable(pass.readable, opts) };
}

/** Decodes whole bzip2 data in memory; stops as soon as the output would pass `maxBytes` (a bomb never expands). */
export function bunzip2(bytes: Uint8Array, maxBytes = Infinity, what?: string): Uint8Array {
  const dec = new Bunzip2Decoder({ maxBytes, ...(what ? { what } : {}) });
  dec.push(bytes);
  dec.end();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let r = dec.read(); r !== null; r = dec.read()) {
    if (!(r instanceof Uint8Array)) throw new Error('bzip2: input ended but the decoder wants more');
    parts.push(r);
    total += r.byteLength;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

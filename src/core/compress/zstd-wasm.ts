/**
 * zstd in WebAssembly: facebook/zstd's decoder as compiled by the `zstddec` package (its streaming build,
 * which exports ZSTD_createDCtx / ZSTD_decompressStream), driven here through those exports directly:
 * a decoding context per stream, the input copied in a piece at a time, the output taken from a fixed
 * 1 MiB window, so the wasm memory stays small however large the data. About 3× faster than fzstd
 * (66 MiB of tar in ~0.25 s in Node). Same bytes as `zstd -dc`: concatenated and skippable frames,
 * checksums checked, truncation detected at the end.
 */
import type { ZSTDDecoder } from 'zstddec/stream';
import { CoreError } from '../errors';
import { concatBytes, freeNow } from '../stream';
import { FzstdPullDecoder } from './zstd-fallback';

interface ZstdExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(p: number): number;
  ZSTD_decompressStream(dctx: number, out: number, input: number): number;
}

const IN_PIECE = 1 << 20;
const OUT_WINDOW = 1 << 20;

let loading: Promise<ZstdExports> | undefined;
let loaded: ZstdExports | undefined;

/**
 * The module's bytes as zstddec embeds them (a base64 `data:` URL, which its init() hands to the global
 * fetch at once): read by letting init() call a stand-in fetch for that one synchronous moment, so neither
 * a fetch replaced for a while (the solver routes it to channels, a page through its proxy) nor zstddec's
 * memory of a failed load can stand in the way. Undefined if the package no longer loads that way.
 */
function embeddedModule(Decoder: typeof ZSTDDecoder): Uint8Array | undefined {
  let url: string | undefined;
  const saved = globalThis.fetch;
  globalThis.fetch = ((u: unknown) => {
    url = typeof u === 'string' ? u : undefined;
    return Promise.reject(new Error('read, not fetched'));
  }) as typeof fetch;
  try {
    new Decoder().init().catch(() => {});
  } finally {
    globalThis.fetch = saved;
  }
  if (!url?.startsWith('data:application/wasm;base64,')) return undefined;
  const bin = atob(url.slice(url.indexOf(',') + 1));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** the bytes, once read, kept for the realm: zstddec lets its init() run once, so a second copy of this module (a bundle that duplicates it) must find them here */
const BYTES = Symbol.for('docker-envs.zstd-wasm.module');
const realm = globalThis as { [BYTES]?: Uint8Array };

/**
 * Instantiates the decoder once per thread (~10 ms); rejects where WebAssembly cannot run (a page whose
 * policy forbids it: then fzstd decodes). A failure is not remembered: the next call tries again.
 */
export function loadZstdWasm(): Promise<void> {
  const attempt = loading ??= (async () => {
    // the package is imported here, when a thread first decodes zstd, not as the program starts
    const bytes = realm[BYTES] ??= embeddedModule((await import('zstddec/stream')).ZSTDDecoder);
    if (!bytes) throw new Error('the zstd WebAssembly module could not be read from the zstddec package');
    // the module's one import: emscripten's memory-growth notice (views are made afresh after every call)
    const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, { env: { emscripten_notify_memory_growth: () => {} } });
    loaded = instance.exports as unknown as ZstdExports;
    return loaded;
  })();
  attempt.catch(() => { if (loading === attempt) loading = undefined; });
  return attempt.then(() => undefined);
}

/** The size of the decoder's WebAssembly memory on this thread (bytes; 0 before loading). */
export function zstdWasmMemoryBytes(): number {
  return loaded ? loaded.memory.buffer.byteLength : 0;
}

/** zstd's error codes that tell a user something (zstd_errors.h). */
const ERRORS: Record<number, string> = {
  10: 'unknown frame descriptor (not zstd data)',
  12: 'version unsupported',
  14: 'unsupported frame parameter',
  16: 'frame requires too much memory (window over 128 MiB)',
  20: 'corrupted block detected',
  22: 'checksum mismatch',
  64: 'out of memory',
  70: 'destination buffer too small',
  72: 'source size wrong',
};

function check(ret: number): number {
  const r = ret >>> 0;
  // ZSTD_isError: a size_t in the last 120 values is an error code, negated
  if (r > 0xffffffff - 120) {
    const code = 0x100000000 - r;
    throw new Error(`zstd: ${ERRORS[code] ?? `error ${code}`}`);
  }
  return r;
}

/**
 * One zstd decoding context (all frames of one stream). Pull-driven: feed() hands it an input chunk,
 * next() decodes until one output window is ready (or the chunk is used up), so a caller that asks for
 * output only as it is consumed holds one window at a time, whatever the compression ratio (a few KiB
 * can expand to GiBs). push() decodes a whole chunk at once for callers that bound the output themselves.
 * end() checks that the last frame was complete; free() releases its wasm memory (push/next/end call it
 * on failure and at the end).
 */
export class ZstdWasmDecoder {
  private readonly x: ZstdExports;
  private dctx: number;
  private readonly inBuf: number;
  private readonly outBuf: number;
  /** ZSTD_inBuffer (src, size, pos) then ZSTD_outBuffer (dst, size, pos): six 32-bit words */
  private readonly io: number;
  /** the last hint ZSTD_decompressStream returned: 0 once a frame is complete and flushed */
  private last = 0;
  private sawInput = false;
  /** the chunk being decoded and how much of it was copied into the wasm input buffer */
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkOff = 0;
  /** the piece in the input buffer: its size (what was consumed is in the io words) */
  private pieceSize = 0;
  /** the last call filled the output window: the decoder may hold more output for the same input */
  private mayHoldMore = false;

  constructor() {
    if (!loaded) throw new Error('zstd WebAssembly is not loaded (await loadZstdWasm() first)');
    this.x = loaded;
    this.dctx = this.x.ZSTD_createDCtx();
    this.inBuf = this.x.malloc(IN_PIECE);
    this.outBuf = this.x.malloc(OUT_WINDOW);
    this.io = this.x.malloc(24);
    if (!this.dctx || !this.inBuf || !this.outBuf || !this.io) {
      this.free();
      throw new Error('zstd: out of memory');
    }
    this.words()[2] = 0;
  }

  private words(): Uint32Array {
    return new Uint32Array(this.x.memory.buffer, this.io, 6); // made afresh: the memory may have grown
  }

  /** Gives the next input chunk; the previous one must be used up (next() returned undefined). */
  feed(chunk: Uint8Array): void {
    if (!this.dctx) throw new Error('zstd: the decoder was freed');
    if (this.chunkOff < this.chunk.byteLength) throw new Error('zstd: fed before the previous chunk was used up');
    if (chunk.byteLength) this.sawInput = true;
    this.chunk = chunk;
    this.chunkOff = 0;
  }

  /**
   * Decodes until some output is ready: a view of the wasm memory (at most 1 MiB), valid until the next
   * call (copy it), or undefined once the fed input is used up and fully flushed.
   */
  next(): Uint8Array | undefined {
    if (!this.dctx) throw new Error('zstd: the decoder was freed');
    try {
      for (;;) {
        let w = this.words();
        if (w[2] >= this.pieceSize && !this.mayHoldMore) {
          if (this.chunkOff >= this.chunk.byteLength) return undefined;
          const n = Math.min(IN_PIECE, this.chunk.byteLength - this.chunkOff);
          new Uint8Array(this.x.memory.buffer, this.inBuf, n).set(this.chunk.subarray(this.chunkOff, this.chunkOff + n));
          this.chunkOff += n;
          this.pieceSize = n;
          w[0] = this.inBuf; w[1] = n; w[2] = 0;
        }
        w[3] = this.outBuf; w[4] = OUT_WINDOW; w[5] = 0;
        const ret = check(this.x.ZSTD_decompressStream(this.dctx, this.io + 12, this.io));
        w = this.words();
        const produced = w[5];
        // a full window may leave output inside the decoder, unless the frame just ended (0): calling again
        // then would start reading a next frame that is not there, and its hint would read as "truncated"
        this.mayHoldMore = produced === OUT_WINDOW && ret !== 0;
        this.last = ret;
        if (produced) return new Uint8Array(this.x.memory.buffer, this.outBuf, produced);
      }
    } catch (e) {
      this.free();
      throw e;
    }
  }

  /** Decodes all of `chunk`; every piece of output goes to `emit` (a view of the wasm memory, valid until the next call: copy it). */
  push(chunk: Uint8Array, emit: (view: Uint8Array) => void): void {
    this.feed(chunk);
    for (let v = this.next(); v; v = this.next()) {
      try {
        emit(v);
      } catch (e) {
        this.free();
        throw e;
      }
    }
  }

  /** Checks the input ended on a frame boundary, then frees the context. */
  end(): void {
    if (this.dctx && (this.mayHoldMore || this.chunkOff < this.chunk.byteLength || this.words()[2] < this.pieceSize)) {
      this.free();
      throw new Error('zstd: end() before the fed input was decoded');
    }
    const complete = this.last === 0;
    const saw = this.sawInput;
    this.free();
    if (!saw) throw new Error('empty input');
    if (!complete) throw new Error('zstd: truncated input (the last frame is incomplete)');
  }

  free(): void {
    if (!this.dctx) return;
    this.x.ZSTD_freeDCtx(this.dctx);
    this.x.free(this.inBuf);
    this.x.free(this.outBuf);
    this.x.free(this.io);
    this.dctx = 0;
  }
}

/** Options of zstdDecodeAll. */
export interface ZstdDecodeAllOptions {
  /** output bytes allowed */
  maxBytes: number;
  /** names the data in errors */
  what: string;
  /** the first buffer's size when the frame declares none (e.g. a bound from metadata) */
  sizeHint?: number;
  /** the error thrown past maxBytes */
  tooLarge?: () => Error;
  /** gives the output buffer (at least `size` bytes; e.g. a reused one); default: a new Uint8Array */
  alloc?: (size: number) => Uint8Array;
  /**
   * (zstdDecodeAllFrom) the input stream's chunks are nobody else's: each one's memory is given back as soon
   * as it is decoded (see freeNow) instead of waiting for a garbage collection
   */
  ownsChunks?: boolean;
}

/**
 * Decodes a whole zstd stream held in memory into one buffer. Output past `maxBytes` throws at once
 * (CoreError 'archive-invalid': a bomb cannot expand). When the first frame declares its size the buffer
 * is allocated at that size (growing for later frames); otherwise it grows as needed. Needs loadZstdWasm() first.
 */
export function zstdDecodeAll(input: Uint8Array, opts: ZstdDecodeAllOptions): Uint8Array {
  const all = decodeAllInto(declaredZstdSize(input), opts);
  all.push(input);
  return all.end();
}

/**
 * zstdDecodeAll over a stream of the compressed bytes (a package member read from its Blob): they are
 * decoded chunk by chunk as they are read, so they are never held whole beside the output.
 */
export async function zstdDecodeAllFrom(input: ReadableStream<Uint8Array>, opts: ZstdDecodeAllOptions): Promise<Uint8Array> {
  const reader = input.getReader();
  let all: ReturnType<typeof decodeAllInto> | undefined;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      // the first frame's header (at most 18 bytes, after any skippable frames) is in the first chunk
      all ??= decodeAllInto(declaredZstdSize(r.value), opts);
      all.push(r.value);
      if (opts.ownsChunks) freeNow(r.value);
    }
  } catch (e) {
    all?.free();
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  return (all ?? decodeAllInto(undefined, opts)).end();
}

/** One output buffer being filled by a wasm decoder (see zstdDecodeAll): push() input, end() for the bytes. */
function decodeAllInto(declared: number | undefined, opts: ZstdDecodeAllOptions) {
  if (!loaded) throw new Error('zstd WebAssembly is not loaded (await loadZstdWasm() first)');
  const tooLarge = opts.tooLarge ?? (() => new CoreError('archive-invalid',
    `${opts.what} expands past ${opts.maxBytes} bytes, more than its metadata declares: refusing it (a corrupt or malicious package)`));
  if (declared !== undefined && declared > opts.maxBytes) throw tooLarge();
  const alloc = opts.alloc ?? ((size: number) => new Uint8Array(size));
  let out: Uint8Array | undefined;
  let n = 0;
  const d = new ZstdWasmDecoder();
  const fail = (e: unknown): never => {
    d.free();
    if (e instanceof CoreError) throw e;
    throw new CoreError('compression-corrupt', `${opts.what} is not valid zstd data (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  };
  return {
    push(input: Uint8Array): void {
      out ??= alloc(Math.min(opts.maxBytes, declared ?? opts.sizeHint ?? Math.max(64 * 1024, input.byteLength * 4)));
      try {
        d.push(input, (v) => {
          if (n + v.byteLength > out!.byteLength) {
            if (n + v.byteLength > opts.maxBytes) throw tooLarge();
            const grown = alloc(Math.min(opts.maxBytes, Math.max(out!.byteLength * 2, n + v.byteLength)));
            grown.set(out!.subarray(0, n));
            out = grown;
          }
          out!.set(v, n);
          n += v.byteLength;
        });
      } catch (e) {
        fail(e);
      }
    },
    end(): Uint8Array {
      try {
        d.end();
      } catch (e) {
        fail(e);
      }
      return !out || n === out.byteLength ? out ?? new Uint8Array(0) : out.subarray(0, n);
    },
    free(): void { d.free(); },
  };
}

/**
 * The content size the first (non-skippable) frame declares in its header, or undefined when it declares
 * none or the bytes are not a zstd frame (decoding then tells what is wrong). Later frames grow the buffer.
 */
export function declaredZstdSize(input: Uint8Array): number | undefined {
  const u32 = (o: number) => (input[o] | input[o + 1] << 8 | input[o + 2] << 16 | input[o + 3] << 24) >>> 0;
  let o = 0;
  while (o + 8 <= input.byteLength && (u32(o) & 0xfffffff0) === 0x184d2a50) o += 8 + u32(o + 4); // skippable frames
  if (o + 5 > input.byteLength || u32(o) !== 0xfd2fb528) return undefined;
  const fhd = input[o + 4];
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  let p = o + 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3];
  const len = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag];
  if (len === 0 || p + len > input.byteLength) return undefined;
  if (len === 1) return input[p];
  if (len === 2) return (input[p] | input[p + 1] << 8) + 256;
  if (len === 4) return u32(p);
  const hi = u32(p + 4);
  p = u32(p);
  return hi < 1 << 20 ? hi * 2 ** 32 + p : undefined;
}

/**
 * zstdDecodeAll where the wasm decoder is loaded on this thread (await loadZstdWasm() first), else fzstd
 * (zstd-fallback.ts), fed a slice at a time and stopped as soon as the output passes `maxBytes`.
 */
export function zstdDecodeAny(input: Uint8Array, opts: ZstdDecodeAllOptions): Uint8Array {
  if (loaded) return zstdDecodeAll(input, opts);
  const tooLarge = opts.tooLarge ?? (() => new CoreError('archive-invalid', `${opts.what} expands past ${opts.maxBytes} bytes: refusing it`));
  const declared = declaredZstdSize(input);
  if (declared !== undefined && declared > opts.maxBytes) throw tooLarge();
  const parts: Uint8Array[] = [];
  let n = 0;
  const d = new FzstdPullDecoder();
  try {
    d.feed(input);
    for (let v = d.next(); v; v = d.next()) {
      n += v.byteLength;
      if (n > opts.maxBytes) throw tooLarge();
      parts.push(v);
    }
    if (input.byteLength === 0) throw new Error('empty input');
    d.end();
  } catch (e) {
    d.free();
    if (e instanceof CoreError) throw e;
    throw new CoreError('compression-corrupt', `${opts.what} is not valid zstd data (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  return concatBytes(parts, n);
}

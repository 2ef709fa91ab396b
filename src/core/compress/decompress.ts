import { verifyingStream, type Digest } from '../digest';
import { CoreError, DigestMismatchError, SizeMismatchError } from '../errors';
import { ByteBatch, concatBytes } from '../stream';
import { bunzip2Readable } from './bzip2';
import type { DetectedCompression } from './detect';
import { fflateGunzipStream } from './gunzip';
import { FzstdPullDecoder, type ZstdPullDecoder } from './zstd-fallback';
import { loadZstdWasm, ZstdWasmDecoder } from './zstd-wasm';

/** Makes a gzip decoder that handles multi-member gzip (e.g. Node's zlib); see useGunzipEngine. */
export type GunzipEngine = () => TransformStream<Uint8Array, Uint8Array>;

let gunzipEngine: GunzipEngine | undefined;

/**
 * Replaces the gzip decoder (by default the runtime's DecompressionStream with an fflate fallback).
 * Node installs zlib with large output chunks from `gunzip.node.ts`: Node's DecompressionStream hands
 * out 16 KiB chunks, one thread-pool round trip each, and is ~2.8× slower on a 120 MB layer.
 * An engine must decode every member of a multi-member stream.
 */
export function useGunzipEngine(e: GunzipEngine | undefined): void {
  gunzipEngine = e;
}

/** Which zstd decoder decompressStream uses: see useZstdEngine. */
export type ZstdEngine = 'wasm' | 'fzstd';

let zstdEngine: ZstdEngine = 'wasm';

/**
 * Chooses the zstd decoder: 'wasm' (the default: WebAssembly zstd on this thread, fzstd where wasm cannot
 * run) or 'fzstd' (that fallback always; tests use it to check the fallback). Parallelism comes from the
 * callers (the build's layer jobs run in workers), not from the decoder.
 */
export function useZstdEngine(e: ZstdEngine | undefined): void {
  zstdEngine = e ?? 'wasm';
}

/** Options of decompressStream. */
export interface DecompressOptions {
  /**
   * A fresh stream of the same compressed bytes (e.g. `() => blob.stream()`). With it, gzip is
   * decoded by the runtime's `DecompressionStream('gzip')` (2.5× faster than fflate in Chromium),
   * and if that fails (Chromium rejects multi-member gzip such as eStargz with "Junk found after
   * end of compressed data"), decoding restarts on fflate from a reopened stream, skipping the
   * bytes already delivered. Without it, gzip is decoded by fflate (correct on every runtime).
   */
  reopen?: () => ReadableStream<Uint8Array>;
  /**
   * true: native DecompressionStream, no fallback (Node's handles multi-member gzip; Chromium's
   * does not); false: fflate only. Default: see `reopen`.
   */
  native?: boolean;
  /** names the blob in error messages, e.g. a layer digest */
  what?: string;
  /**
   * The sha256 (and, when given, the length) the uncompressed output must have, e.g. a layer's diff_id: the
   * stream errors with DigestMismatchError / SizeMismatchError at its end (or once it is too long), so a
   * reader never sees a clean end of unverified bytes. A gzip decoded on another thread (useOffloadedGunzip)
   * is hashed there as it is decoded; anything else is checked here as verifyingStream does. `what` names
   * the bytes in those errors (default 'blob').
   */
  expect?: { digest: Digest; size?: number; what?: string };
}

/**
 * Turns a compressed stream into its uncompressed bytes. gzip may have several members (eStargz
 * writes one per file): all are decoded, in order (give `opts.reopen` for the fast native path). zstd may have several frames and skippable
 * frames (zstd's own decoder in WebAssembly, true streaming). bzip2 may have several streams (bzip2.ts, block by block; for a
 * size cap use bunzip2Readable). 'none' returns the input unchanged.
 * Corrupt or truncated input errors the stream with CoreError 'compression-corrupt';
 * xz throws 'unsupported-compression' at once. (Image layers refuse bzip2 before they get here:
 * see openBlobLayer.)
 */
export function decompressStream(
  stream: ReadableStream<Uint8Array>,
  compression: DetectedCompression,
  opts: DecompressOptions = {},
): ReadableStream<Uint8Array> {
  const what = opts.what ?? 'blob';
  const expect = opts.expect;
  if (expect) {
    // the offloaded native decoder hashes what it decodes; every other path is checked as it streams here
    const offloaded = compression === 'gzip' && !gunzipEngine && opts.native !== false && typeof DecompressionStream === 'function' && opts.reopen && gunzipOffload;
    if (offloaded) return mapErrors(gunzipWithFallback(stream, opts.reopen!, expect), 'gzip', what);
    return decompressStream(stream, compression, { ...opts, expect: undefined }).pipeThrough(verifyingStream(expect.digest, expect.size, expect.what));
  }
  switch (compression) {
    case 'none':
      return stream;
    case 'gzip': {
      if (gunzipEngine && opts.native !== false) return mapErrors(stream.pipeThrough(gunzipEngine()), 'gzip', what);
      const hasNative = typeof DecompressionStream === 'function';
      if (!hasNative || opts.native === false || (opts.native === undefined && !opts.reopen)) {
        return mapErrors(stream.pipeThrough(fflateGunzipStream()), 'gzip', what);
      }
      if (opts.native === true || !opts.reopen) return mapErrors(stream.pipeThrough(nativeGunzip()), 'gzip', what);
      return mapErrors(gunzipWithFallback(stream, opts.reopen), 'gzip', what);
    }
    case 'zstd':
      return mapErrors(zstdReadable(stream), 'zstd', what);
    case 'bzip2':
      return bunzip2Readable(stream, { what });
    case 'xz':
      throw new CoreError('unsupported-compression',
        `${what} is ${compression}-compressed, which image layers cannot use (OCI allows gzip and zstd): ` +
        'recompress it with gzip or zstd, or store it uncompressed');
    default:
      throw new CoreError('unsupported-compression', `${what}: unknown compression ${JSON.stringify(compression)}`);
  }
}

/**
 * Runs the runtime's gzip decoder somewhere else (a browser worker installs one that decodes on a thread of
 * its own): a TransformStream that behaves as `DecompressionStream('gzip')` does (it fails on what that
 * refuses, multi-member gzip included, and the fflate fallback then decodes), or undefined when it has no
 * thread free (the decoder then runs here). See useOffloadedGunzip.
 */
export type GunzipOffload = (opts?: { hashOutput?: boolean }) => OffloadedGunzip | undefined;

/** A gzip decoder on another thread: its stream, and the sha256 of all it decoded when it was asked for with `hashOutput`. */
export interface OffloadedGunzip {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** resolves once the stream has ended; rejects when it failed or was not asked to hash */
  outputDigest(): Promise<Digest>;
}

let gunzipOffload: GunzipOffload | undefined;

/**
 * Lets the native gzip path (decompressStream with `reopen`) decode on another thread: the thread reading the
 * layer then only moves bytes, while the decoder, the hashes and the writes run at once. Same bytes out; a
 * failure of the offloaded decoder falls back to fflate as a failure of the native one does.
 */
export function useOffloadedGunzip(o: GunzipOffload | undefined): void {
  gunzipOffload = o;
}

function nativeGunzip(): TransformStream<Uint8Array, Uint8Array> {
  return gunzipOffload?.()?.stream ?? new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
}

/** Output of the native gunzip handed on in pieces of about this size: its own are 64 KiB, each a trip through every stream after it. */
const NATIVE_PIECE = 1 << 20;

/**
 * Native gunzip; on a decoder failure, fflate over `reopen()`, dropping as many output bytes as
 * were already delivered. Errors that are CoreErrors (from upstream) are not retried. The native
 * decoder's output is handed on in pieces of NATIVE_PIECE (one copy here; a sink that regroups, as the
 * file writers do, then passes them on as they are). With `expect`, the output is checked against it: by the
 * offloaded decoder's own hash of what it decoded, or here as it streams (the decoder on this thread, and
 * fflate's whole output after a fallback, the bytes skipped included).
 */
function gunzipWithFallback(stream: ReadableStream<Uint8Array>, reopen: () => ReadableStream<Uint8Array>, expect?: DecompressOptions['expect']): ReadableStream<Uint8Array> {
  const checked = (s: ReadableStream<Uint8Array>) => expect ? s.pipeThrough(verifyingStream(expect.digest, expect.size, expect.what)) : s;
  const off = expect ? gunzipOffload?.({ hashOutput: true }) : undefined;
  let reader = (off ? stream.pipeThrough(off.stream) : checked(stream.pipeThrough(nativeGunzip()))).getReader();
  /** bytes the offloaded decoder gave, to check against expect.size */
  let decoded = 0;
  let delivered = 0;
  let skip = 0;
  let fellBack = false;
  const gathered = new ByteBatch();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (fellBack || e instanceof CoreError) throw e;
          fellBack = true;
          // what was gathered but not handed on is decoded again by fflate
          if (gathered.size > 0) gathered.take();
          skip = delivered;
          reader = checked(reopen().pipeThrough(fflateGunzipStream())).getReader();
          continue;
        }
        if (r.done) {
          if (off && !fellBack) {
            const e = expect!;
            if (e.size !== undefined && decoded !== e.size) throw new SizeMismatchError(e.size, decoded, `${e.what ?? 'blob'} ${e.digest}`);
            const actual = await off.outputDigest();
            if (actual !== e.digest) throw new DigestMismatchError(e.digest, actual, e.what ?? 'blob');
          }
          if (gathered.size > 0) controller.enqueue(gathered.take());
          controller.close();
          return;
        }
        let v = r.value;
        if (off && !fellBack) {
          decoded += v.byteLength;
          if (expect!.size !== undefined && decoded > expect!.size) {
            void reader.cancel().catch(() => {});
            throw new SizeMismatchError(expect!.size, decoded, `${expect!.what ?? 'blob'} ${expect!.digest}`);
          }
        }
        if (skip > 0) {
          const n = Math.min(skip, v.byteLength);
          skip -= n;
          v = v.subarray(n);
          if (v.byteLength === 0) continue;
        }
        if (fellBack) { controller.enqueue(v); return; }
        if (v.byteLength === 0 || gathered.add(v) < NATIVE_PIECE) continue;
        const piece = gathered.take();
        delivered += piece.byteLength;
        controller.enqueue(piece);
        return;
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}

/**
 * zstd on this thread, decoded only as the output is read (a few KiB of input can expand to GiBs, so
 * output is never queued ahead of the reader): the WebAssembly decoder (zstd-wasm.ts, ~3× fzstd) one
 * 1 MiB window per pull, or fzstd where WebAssembly cannot be instantiated (a page whose CSP forbids it).
 */
function zstdReadable(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let decoder: ZstdPullDecoder | undefined;
  let sawInput = false;
  return new ReadableStream<Uint8Array>({
    async start() {
      try {
        if (zstdEngine === 'fzstd') throw new Error('fzstd chosen');
        await loadZstdWasm();
        decoder = new ZstdWasmDecoder();
      } catch {
        decoder = new FzstdPullDecoder();
      }
    },
    async pull(c) {
      const d = decoder!;
      for (;;) {
        const v = d.next();
        if (v) { c.enqueue(v.slice()); return; }
        const r = await reader.read();
        if (r.done) {
          if (!sawInput) { d.free(); throw new Error('empty input'); }
          d.end();
          c.close();
          return;
        }
        if (r.value.byteLength) sawInput = true;
        d.feed(r.value);
      }
    },
    cancel(reason) {
      decoder?.free();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Re-throws decoder failures (native TypeErrors, fflate/fzstd errors) as CoreError
 * 'compression-corrupt'. Errors that are already CoreErrors (e.g. a digest mismatch from
 * upstream) pass unchanged.
 */
function mapErrors(stream: ReadableStream<Uint8Array>, format: string, what: string): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  const wrap = (e: unknown): unknown => e instanceof CoreError ? e : new CoreError('compression-corrupt',
    `${what} is not valid ${format} data (${e instanceof Error ? e.message : String(e)}): ` +
    'the blob is corrupt or truncated; fetch it again', { cause: e });
  // decoders hand out 16–128 KiB pieces; every consumer hop (hash, tar, file write) costs per chunk, so
  // output goes out in chunks of about 1 MiB (a copy of the small pieces, ~1 % of the decode time); up to
  // 4 of them are decoded ahead of the reader, so decoding overlaps hashing and writing
  let ended = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const parts: Uint8Array[] = [];
      let size = 0;
      while (size < OUTPUT_CHUNK && !ended) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          throw wrap(e);
        }
        if (r.done) ended = true;
        else if (r.value.byteLength) { parts.push(r.value); size += r.value.byteLength; }
      }
      if (parts.length) controller.enqueue(concatBytes(parts, size));
      if (ended) controller.close();
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 4 });
}

const OUTPUT_CHUNK = 1 << 20;

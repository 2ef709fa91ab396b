import { createSHA256, type IHasher } from 'hash-wasm';
import { CoreError, DigestMismatchError, SizeMismatchError } from '../errors';
import { ByteBatch } from '../stream';

/** A content digest as OCI writes it: `sha256:` and 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** True when `s` is a well-formed sha256 digest. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Parses and checks a digest string; throws `invalid-digest` otherwise. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) {
    const algo = typeof s === 'string' ? s.split(':')[0] : '';
    const why = typeof s === 'string' && s.includes(':') && algo !== 'sha256'
      ? `unsupported digest algorithm "${algo}"` : 'not of the form sha256:<64 hex digits>';
    throw new CoreError('invalid-digest', `invalid digest ${JSON.stringify(s)}: ${why}`);
  }
  return s;
}

/** The 64 hex digits of a digest. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** An incremental sha256 hasher (hash-wasm); `digest()` may be called once. */
export interface Sha256 {
  update(chunk: Uint8Array): void;
  digest(): Digest;
  /** bytes hashed so far */
  readonly size: number;
}

/** A source of raw incremental sha256 state: `update` bytes, then `hex()` once. */
export type Sha256Engine = () => { update(chunk: Uint8Array): void; hex(): string } | Promise<{ update(chunk: Uint8Array): void; hex(): string }>;

let engine: Sha256Engine | undefined;

/**
 * Replaces the sha256 implementation (hash-wasm by default, which runs everywhere). Node installs its
 * native OpenSSL hash from `sha256.node.ts`, several times faster; the digests are the same.
 */
export function useSha256Engine(e: Sha256Engine | undefined): void {
  engine = e;
}

/** Creates an incremental sha256 hasher. */
export async function createSha256(): Promise<Sha256> {
  if (engine) {
    const e = await engine();
    let n = 0;
    return {
      update(chunk) { e.update(chunk); n += chunk.byteLength; },
      digest() { return `sha256:${e.hex()}`; },
      get size() { return n; },
    };
  }
  const h = idleHashers.pop() ?? await createSHA256();
  h.init();
  let size = 0;
  let result: Digest | undefined;
  return {
    update(chunk) {
      if (result) throw new CoreError('internal', 'sha256 update() after digest()');
      h.update(chunk); size += chunk.byteLength;
    },
    digest() {
      if (result) return result;
      result = `sha256:${h.digest('hex')}`;
      if (idleHashers.length < MAX_IDLE_HASHERS) idleHashers.push(h);
      return result;
    },
    get size() { return size; },
  };
}

/**
 * hash-wasm instances whose digest has been taken, reused by the next hasher on this thread. Every
 * `createSHA256()` is a new WebAssembly instance with its own memory, and the engine reserves address space
 * for each until it is collected: a build hashing thousands of files would otherwise exhaust it ("Cannot
 * allocate Wasm memory for new instance") on a busy renderer. A hasher dropped before `digest()` is left to
 * the collector.
 */
const idleHashers: IHasher[] = [];
const MAX_IDLE_HASHERS = 16;

/** Lower-case hex of `bytes`. */
export function hexOf(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** sha256 of bytes or of a string's UTF-8 encoding. */
export async function sha256(data: Uint8Array | string): Promise<Digest> {
  // bytes already in memory: WebCrypto's one-shot digest (native, ~4× hash-wasm) where there is no engine
  if (!engine && typeof data !== 'string' && data.byteLength >= 1 << 16 && globalThis.crypto?.subtle) {
    return `sha256:${hexOf(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)))}`;
  }
  const h = await createSha256();
  h.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  return h.digest();
}

/** Reads a stream to its end and returns its sha256 and length in bytes; `onChunk` sees each chunk as it is hashed. */
export async function digestStream(stream: ReadableStream<Uint8Array>, onChunk?: (chunk: Uint8Array) => void): Promise<{ digest: Digest; size: number }> {
  const h = await createSha256();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
    onChunk?.(value);
  }
  return { digest: h.digest(), size: h.size };
}

/**
 * A pass-through that hashes what flows through it. `result` settles when the stream ends
 * (or rejects if it is aborted).
 */
export function hashingStream(): { stream: TransformStream<Uint8Array, Uint8Array>; result: Promise<{ digest: Digest; size: number }> } {
  let resolve!: (v: { digest: Digest; size: number }) => void;
  let reject!: (e: unknown) => void;
  const result = new Promise<{ digest: Digest; size: number }>((res, rej) => { resolve = res; reject = rej; });
  result.catch(() => {});
  let hasher: Sha256 | undefined;
  // `cancel` (called when the readable side is cancelled) is in the Streams spec but not yet in TS's lib.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
    async start() { hasher = await createSha256(); },
    transform(chunk, controller) { hasher!.update(chunk); controller.enqueue(chunk); },
    flush() { resolve({ digest: hasher!.digest(), size: hasher!.size }); },
    cancel(reason) { reject(reason); },
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>(transformer);
  return { stream, result };
}

/** A sha256 of one long stream taken on another thread: chunks are handed over as they come, the digest read at the end. */
export interface OffloadedSha256 {
  /**
   * hands `chunk` over (it becomes the other thread's: the caller must not use it again); a promise when the
   * other thread is behind by enough pieces, to wait on before handing more (what is in flight stays bounded)
   */
  update(chunk: Uint8Array): void | Promise<void>;
  /** the digest of everything handed over */
  digest(): Promise<Digest>;
  /** drops the job (the stream failed); the thread is free again */
  cancel(): void;
}

/** Starts an offloaded sha256, or gives undefined when no other thread is free (the caller then hashes on its own). */
export type Sha256Offload = () => OffloadedSha256 | undefined;

let offload: Sha256Offload | undefined;

/**
 * Lets verifyingStream hash long streams on other threads (the browser's build worker gives it a pool of
 * hashing workers): the thread reading the stream then only copies each MiB across, and two verified streams
 * (a download into the cache and the layer it decompresses to) hash at the same time. Same digests.
 */
export function useSha256Offload(o: Sha256Offload | undefined): void {
  offload = o;
}

/** Bytes gathered before a stream's hash is offloaded, and the size of each piece handed over. */
const OFFLOAD_PIECE = 1 << 20;

/**
 * An incremental sha256 for a stream that may be long: with an offload installed, the bytes are gathered
 * and, once a stream has given OFFLOAD_PIECE of them, hashed on another thread in pieces of that size (a free
 * one: else here, as without an offload). Short streams are hashed here. `update` copies what it keeps, so a
 * chunk may be handed on before it; a promise from it is to be waited on before the next chunk.
 */
export function streamSha256(): { ready(): Promise<void>; update(chunk: Uint8Array): void | Promise<void>; digest(): Promise<Digest>; cancel(): void } {
  const batch = new ByteBatch();
  let parts = 0;
  let local: Sha256 | undefined;
  let away: OffloadedSha256 | undefined;
  let tried = false;
  let pending: Promise<Sha256> | undefined;
  const localHasher = (): Promise<Sha256> => (pending ??= createSha256().then((h) => (local = h)));
  /** the gathered bytes as an array of their own (a single chunk is copied: the stream hands it on), to hand over */
  const piece = (): Uint8Array => {
    const one = batch.take();
    const own = parts > 1 ? one : one.slice();
    parts = 0;
    return own;
  };
  return {
    // without an offload, hashed here from the first chunk, as it comes
    async ready() { if (!offload) await localHasher(); },
    update(chunk) {
      if (local) {
        if (batch.size > 0) { local.update(batch.take()); parts = 0; }
        local.update(chunk);
        return;
      }
      if (chunk.byteLength === 0) return;
      parts++;
      if (batch.add(chunk) < OFFLOAD_PIECE) return;
      if (!tried) { tried = true; away = offload?.(); }
      if (away) return away.update(piece());
      // no thread free: hashed here from when the hasher is ready, the bytes gathered first
      else void localHasher();
    },
    async digest() {
      if (away) {
        if (batch.size > 0) await away.update(piece());
        return away.digest();
      }
      const h = local ?? await localHasher();
      if (batch.size > 0) h.update(batch.take());
      return h.digest();
    },
    cancel() { away?.cancel(); away = undefined; },
  };
}

/**
 * A pass-through that checks the bytes against an expected digest (and size, when given).
 * The stream errors with DigestMismatchError / SizeMismatchError at its end (or as soon as
 * the size is exceeded), so a consumer never sees a clean end of unverified bytes. Long streams are
 * hashed on another thread where an offload is installed (useSha256Offload).
 */
export function verifyingStream(expected: Digest, expectedSize?: number, what = 'blob'): TransformStream<Uint8Array, Uint8Array> {
  const hasher = streamSha256();
  let size = 0;
  // `cancel` (called when either side is cancelled or aborted) is in the Streams spec but not yet in TS's lib.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
    start: () => hasher.ready(),
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (expectedSize !== undefined && size > expectedSize) {
        hasher.cancel();
        throw new SizeMismatchError(expectedSize, size, `${what} ${expected}`);
      }
      // handed on at once; the next chunk waits while the hashing thread is behind
      controller.enqueue(chunk);
      return hasher.update(chunk);
    },
    async flush() {
      if (expectedSize !== undefined && size !== expectedSize) {
        hasher.cancel();
        throw new SizeMismatchError(expectedSize, size, `${what} ${expected}`);
      }
      const actual = await hasher.digest();
      if (actual !== expected) throw new DigestMismatchError(expected, actual, `${what}`);
    },
    cancel() { hasher.cancel(); },
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
}

/**
 * The sha256 of each fixed-size piece of a stream (the last piece may be shorter), taken with WebCrypto's
 * one-shot digest (`crypto.subtle`, in browsers and Node: native code, the CPU's SHA instructions where it has
 * them), a few pieces in flight at once. A layer cache records them beside a layer's whole digest when the
 * layer is made, from the same bytes in the same pass, and checks a cached layer piece by piece as it is read
 * again (pieceVerifier) instead of hashing it whole: bytes that match every recorded piece are the bytes whose
 * whole digest was taken.
 */
import { CoreError } from '../errors';
import { hexOf } from './digest';

/** Bytes of each piece whose digest a layer cache records (the last piece of a stream may be shorter). */
export const PIECE_BYTES = 4 * 1024 * 1024;

/** Pieces being hashed at once; the stream waits beyond this. */
const IN_FLIGHT = 3;

/** The recorded piece digests of a blob: the piece size in bytes, and the hex sha256 of each piece in order. */
export interface PieceDigests {
  pieceBytes: number;
  digests: string[];
}

const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new CoreError('internal', 'WebCrypto (crypto.subtle) is missing: piece digests need it');
  return s;
};


/** Whether `p` is a well-formed set of piece digests for a blob of `size` bytes. */
export function arePieceDigests(p: unknown, size: number): p is PieceDigests {
  const x = p as PieceDigests | undefined;
  return typeof x === 'object' && x !== null && Number.isSafeInteger(x.pieceBytes) && x.pieceBytes > 0 && Array.isArray(x.digests)
    && x.digests.length === Math.ceil(size / x.pieceBytes) && x.digests.every((d) => typeof d === 'string' && /^[a-f0-9]{64}$/.test(d));
}

/**
 * Hashes a stream's pieces as its chunks come: each chunk is copied into a piece buffer, and a full piece is
 * handed to WebCrypto (at most IN_FLIGHT at once; `update` gives a promise to wait on when that many are).
 * `onPiece` sees each piece's index and hex digest, in any order.
 */
class PieceHasher {
  private piece: Uint8Array | undefined;
  private held = 0;
  private count = 0;
  private readonly spare: Uint8Array[] = [];
  private readonly running = new Set<Promise<void>>();
  private failed: { error: unknown } | undefined;

  constructor(private readonly pieceBytes: number, private readonly onPiece: (index: number, hex: string) => void) {}

  /** pieces started so far */
  get pieces(): number { return this.count; }

  update(chunk: Uint8Array): void | Promise<void> {
    let wait: Promise<void> | undefined;
    for (let at = 0; at < chunk.byteLength;) {
      const piece = (this.piece ??= this.spare.pop() ?? new Uint8Array(this.pieceBytes));
      const n = Math.min(this.pieceBytes - this.held, chunk.byteLength - at);
      piece.set(n === chunk.byteLength ? chunk : chunk.subarray(at, at + n), this.held);
      this.held += n;
      at += n;
      if (this.held === this.pieceBytes) wait = this.send();
    }
    return wait;
  }

  /** the last piece hashed and every piece settled; rejects when WebCrypto failed */
  async end(): Promise<void> {
    if (this.held > 0) void this.send();
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failed) throw this.failed.error;
  }

  private send(): Promise<void> | undefined {
    const piece = this.piece!;
    const bytes = piece.subarray(0, this.held);
    const index = this.count++;
    this.piece = undefined;
    this.held = 0;
    const p: Promise<void> = subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>).then(
      (d) => { this.onPiece(index, hexOf(new Uint8Array(d))); },
      (error: unknown) => { this.failed ??= { error }; },
    ).finally(() => {
      this.running.delete(p);
      this.spare.push(piece);
    });
    this.running.add(p);
    if (this.running.size < IN_FLIGHT) return undefined;
    return Promise.race(this.running);
  }
}

/**
 * A pass-through that takes the sha256 of each `pieceBytes` piece of what flows through it (a piece is
 * hashed once it is whole, not when the stream ends). `result` settles with them when the stream ends (or
 * rejects if it errors).
 */
export function pieceHashingStream(pieceBytes = PIECE_BYTES): { stream: TransformStream<Uint8Array, Uint8Array>; result: Promise<PieceDigests> } {
  let resolve!: (v: PieceDigests) => void;
  let reject!: (e: unknown) => void;
  const result = new Promise<PieceDigests>((res, rej) => { resolve = res; reject = rej; });
  result.catch(() => {});
  const digests: string[] = [];
  const hasher = new PieceHasher(pieceBytes, (i, h) => { digests[i] = h; });
  // `cancel` (called when either side is cancelled or aborted) is in the Streams spec but not yet in TS's lib.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
    transform(chunk, c) {
      c.enqueue(chunk);
      return hasher.update(chunk);
    },
    async flush() {
      try {
        await hasher.end();
        resolve({ pieceBytes, digests });
      } catch (e) {
        reject(e);
        throw e;
      }
    },
    cancel(reason) { reject(reason); },
  };
  return { stream: new TransformStream<Uint8Array, Uint8Array>(transformer), result };
}

/**
 * Checks a stream against recorded piece digests as its chunks come (`update`: a promise to wait on before
 * the next chunk when enough pieces are being hashed). `matches()` once the stream ended: true only when
 * every piece matched and there were exactly as many pieces as recorded. A piece found wrong stops the hashing
 * of the rest.
 */
export function pieceVerifier(expected: PieceDigests): { update(chunk: Uint8Array): void | Promise<void>; matches(): Promise<boolean> } {
  let wrong = false;
  const hasher = new PieceHasher(expected.pieceBytes, (i, h) => { if (expected.digests[i] !== h) wrong = true; });
  return {
    update(chunk) {
      if (!wrong) return hasher.update(chunk);
    },
    async matches() {
      if (wrong) return false;
      await hasher.end();
      return !wrong && hasher.pieces === expected.digests.length;
    },
  };
}

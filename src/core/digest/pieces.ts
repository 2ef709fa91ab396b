/**
 * The sha256 of each fixed-size piece of a stream (the last piece may be shorter), taken with WebCrypto's
 * one-shot digest (`crypto.subtle`, in browsers and Node: native code, the CPU's SHA instructions where it has
 * them), a few pieces in flight at once. A layer cache records them beside a layer's whole digest when the
 * layer is made, from the same bytes in the same pass, and checks a cached layer piece by piece as it is read
 * again (pieceVerifier) instead of hashing it whole: bytes that match every recorded piece are the bytes whose
 * whole digest was taken.
 */
import { CoreError } from '../errors';

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

function hex(buf: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(buf)) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Whether `p` is a well-formed set of piece digests for a blob of `size` bytes. */
export function arePieceDigests(p: unknown, size: number): p is PieceDigests {
  const x = p as PieceDigests | undefined;
  return typeof x === 'object' && x !== null && Number.isSafeInteger(x.pieceBytes) && x.pieceBytes > 0 && Array.isArray(x.digests)
    && x.digests.length === Math.ceil(size / x.pieceBytes) && x.digests.every((d) => typeof d === 'string' && /^[a-f0-9]{64}$/.test(d));
}

/**
 * Hashes a stream's pieces as its chunks come: a full piece is handed to WebCrypto (at most IN_FLIGHT at once;
 * `update` gives a promise to wait on when that many are). A chunk that is a whole piece by itself (with
 * `size` known, the last piece's length is known too) is handed over as it is: WebCrypto copies the bytes it
 * is given before `digest` returns, so the chunk may go on at once. Other chunks are copied into a piece
 * buffer. `onPiece` sees each piece's index and hex digest, in any order.
 */
class PieceHasher {
  private piece: Uint8Array | undefined;
  private held = 0;
  private count = 0;
  private readonly spare: Uint8Array[] = [];
  private readonly running = new Set<Promise<void>>();
  private failed: { error: unknown } | undefined;

  constructor(private readonly pieceBytes: number, private readonly onPiece: (index: number, hex: string) => void, private readonly size?: number) {}

  /** pieces started so far */
  get pieces(): number { return this.count; }

  update(chunk: Uint8Array): void | Promise<void> {
    // a whole piece by itself: no copy
    if (this.held === 0 && chunk.byteLength > 0 && chunk.byteLength === (this.size === undefined ? this.pieceBytes : Math.min(this.pieceBytes, this.size - this.count * this.pieceBytes))) {
      return this.send(chunk);
    }
    let wait: Promise<void> | undefined;
    for (let at = 0; at < chunk.byteLength;) {
      const piece = (this.piece ??= this.spare.pop() ?? new Uint8Array(this.pieceBytes));
      const n = Math.min(this.pieceBytes - this.held, chunk.byteLength - at);
      piece.set(n === chunk.byteLength ? chunk : chunk.subarray(at, at + n), this.held);
      this.held += n;
      at += n;
      if (this.held === this.pieceBytes) wait = this.sendHeld();
    }
    return wait;
  }

  /** the last piece hashed and every piece settled; rejects when WebCrypto failed */
  async end(): Promise<void> {
    if (this.held > 0) void this.sendHeld();
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failed) throw this.failed.error;
  }

  private sendHeld(): Promise<void> | undefined {
    const piece = this.piece!;
    const bytes = piece.subarray(0, this.held);
    this.piece = undefined;
    this.held = 0;
    return this.send(bytes, piece);
  }

  /** hands `bytes` to WebCrypto; `buffer` (the piece buffer they are in) is reused once the digest settled */
  private send(bytes: Uint8Array, buffer?: Uint8Array): Promise<void> | undefined {
    const index = this.count++;
    const p: Promise<void> = subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>).then(
      (d) => { this.onPiece(index, hex(d)); },
      (error: unknown) => { this.failed ??= { error }; },
    ).finally(() => {
      this.running.delete(p);
      if (buffer) this.spare.push(buffer);
    });
    this.running.add(p);
    if (this.running.size < IN_FLIGHT) return undefined;
    return Promise.race(this.running);
  }
}

/**
 * A Blob's bytes as a stream of its pieces (`pieceBytes` each, the last one shorter), one read each, the
 * next piece read while the last one is used: for a reader that checks each piece (pieceVerifier) with no copy.
 */
export function blobPieceStream(blob: Blob, pieceBytes = PIECE_BYTES): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (at >= blob.size) { c.close(); return; }
      const end = Math.min(blob.size, at + pieceBytes);
      const bytes = new Uint8Array(await blob.slice(at, end).arrayBuffer());
      at = end;
      c.enqueue(bytes);
    },
  }, { highWaterMark: 1 });
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
 * of the rest. `size`: the bytes the stream is expected to hold (a chunk that is a whole piece is then hashed
 * with no copy, the last one too); a stream of another size still fails the check.
 */
export function pieceVerifier(expected: PieceDigests, size?: number): { update(chunk: Uint8Array): void | Promise<void>; matches(): Promise<boolean> } {
  let wrong = false;
  const hasher = new PieceHasher(expected.pieceBytes, (i, h) => { if (expected.digests[i] !== h) wrong = true; }, size);
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

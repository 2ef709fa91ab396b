import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestMismatchError, SizeMismatchError } from '../errors';
import { useSha256Offload, verifyingStream, type Digest } from './digest';
import { sha256ThreadPool } from './sha256-threads.node.js';

const nodeDigest = (parts: Uint8Array[]): Digest => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return `sha256:${h.digest('hex')}`;
};

/** `total` bytes in chunks of the sizes given in turn (a pattern that differs from chunk to chunk). */
function chunksOf(total: number, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < total; i++) {
    const n = Math.min(sizes[i % sizes.length], total - at);
    // Buffers, as Node's streams give: each its own copy of the pattern from a different place, its first byte the chunk's number
    const c = Buffer.from(PATTERN.subarray((at * 7) % (PATTERN.length - n), (at * 7) % (PATTERN.length - n) + n));
    c[0] = i & 0xff;
    out.push(c);
    at += n;
  }
  return out;
}

const PATTERN = new Uint8Array((4 << 20) + 17).map((_, j) => (j * 2654435761) >>> 24);

/** The chunks through verifyingStream(expected): what came out, or the error it ended with. */
async function verify(chunks: Uint8Array[], expected: Digest, size?: number): Promise<{ out: Uint8Array[]; error?: unknown }> {
  const src = new ReadableStream<Uint8Array>({ pull(c) { const x = chunks.shift(); if (x) c.enqueue(x); else c.close(); } });
  const out: Uint8Array[] = [];
  try {
    const reader = src.pipeThrough(verifyingStream(expected, size)).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
    return { out };
  } catch (error) {
    return { out, error };
  }
}

describe('sha256 on worker threads (the offload)', () => {
  afterEach(() => useSha256Offload(undefined));

  it('gives the same digests as hashing here, for streams that fill and wrap the ring, several at once', async () => {
    useSha256Offload(sha256ThreadPool(2));
    // 40 MiB through a 16 MiB ring in uneven chunks (some larger than a piece), three streams on two threads
    const inputs = [chunksOf(40 << 20, [65_536, 3 << 20, 1, 1 << 20, 777_777]), chunksOf(5 << 20, [1 << 20]), chunksOf(3_000_001, [65_537])];
    const copies = inputs.map((parts) => parts.map((p) => Uint8Array.from(p)));
    const results = await Promise.all(inputs.map((parts) => verify(parts.slice(), nodeDigest(parts))));
    for (const [i, r] of results.entries()) {
      expect(r.error).toBeUndefined();
      // the chunks went on whole and unchanged (copied into the ring, never taken away)
      expect(r.out.length).toBe(copies[i].length);
      expect(Buffer.concat(r.out).equals(Buffer.concat(copies[i]))).toBe(true);
    }
    // the threads are free again: another stream is hashed right
    const again = chunksOf(9 << 20, [123_456]);
    expect((await verify(again.slice(), nodeDigest(again))).error).toBeUndefined();
  });

  it('a wrong digest or size still fails the stream, and the thread serves the next one', async () => {
    useSha256Offload(sha256ThreadPool(1));
    const parts = chunksOf(6 << 20, [1 << 20]);
    const right = nodeDigest(parts);
    const wrong = nodeDigest([new Uint8Array(1)]);
    expect((await verify(parts.slice(), wrong)).error).toBeInstanceOf(DigestMismatchError);
    expect((await verify(parts.slice(), right, (6 << 20) - 1)).error).toBeInstanceOf(SizeMismatchError);
    expect((await verify(parts.slice(), right)).error).toBeUndefined();
  });
});

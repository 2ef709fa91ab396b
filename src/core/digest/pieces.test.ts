/**
 * Piece digests: taken as a stream passes (each piece's sha256, whatever the chunking), and checked against
 * a stream read again: a changed byte in any piece, a missing or an extra byte is a mismatch.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { arePieceDigests, pieceHashingStream, pieceVerifier, type PieceDigests } from './pieces';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 8)) & 0xff);
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** a stream of `b` in chunks of `chunk` bytes */
function chunked(b: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= b.byteLength) { c.close(); return; }
      // a copy, as a reader gets: the stream's consumer may keep it
      c.enqueue(b.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function piecesOf(b: Uint8Array, chunk: number, pieceBytes: number): Promise<{ pieces: PieceDigests; out: Uint8Array }> {
  const p = pieceHashingStream(pieceBytes);
  const out = new Uint8Array(await new Response(chunked(b, chunk).pipeThrough(p.stream)).arrayBuffer());
  return { pieces: await p.result, out };
}

async function verify(b: Uint8Array, chunk: number, pieces: PieceDigests): Promise<boolean> {
  const v = pieceVerifier(pieces);
  const reader = chunked(b, chunk).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) await v.update(r.value);
  return v.matches();
}

describe('piece digests', () => {
  const data = bytes(10_000);

  it('are the sha256 of each piece (the last one shorter), whatever the chunks, and pass the bytes through unchanged', async () => {
    const expected = [hex(data.subarray(0, 4096)), hex(data.subarray(4096, 8192)), hex(data.subarray(8192))];
    for (const chunk of [1000, 4096, 5000, 10_000]) {
      const { pieces, out } = await piecesOf(data, chunk, 4096);
      expect(pieces).toEqual({ pieceBytes: 4096, digests: expected });
      expect(out).toEqual(data);
    }
    // a stream of whole pieces has no empty last piece
    expect((await piecesOf(data.subarray(0, 8192), 3000, 4096)).pieces.digests).toHaveLength(2);
  });

  it('check the same bytes, however they are chunked', async () => {
    const { pieces } = await piecesOf(data, 777, 4096);
    for (const chunk of [1, 4096, 9999, 10_000]) expect(await verify(data, chunk, pieces)).toBe(true);
  });

  it('find a changed byte in any piece, a missing byte and an extra one', async () => {
    const { pieces } = await piecesOf(data, 777, 4096);
    for (const at of [0, 4095, 4096, 6000, 9999]) {
      const changed = data.slice();
      changed[at] ^= 0x01;
      expect(await verify(changed, 1000, pieces)).toBe(false);
    }
    expect(await verify(data.subarray(0, 9999), 1000, pieces)).toBe(false);
    expect(await verify(data.subarray(0, 8192), 1000, pieces)).toBe(false);
    const longer = new Uint8Array(10_001);
    longer.set(data);
    expect(await verify(longer, 1000, pieces)).toBe(false);
    const evenLonger = new Uint8Array(12_289);
    evenLonger.set(data);
    expect(await verify(evenLonger, 1000, pieces)).toBe(false);
  });

  it('are taken as well-formed only when they are as many as the size needs', async () => {
    const { pieces } = await piecesOf(data, 777, 4096);
    expect(arePieceDigests(pieces, 10_000)).toBe(true);
    expect(arePieceDigests(pieces, 8192)).toBe(false);
    expect(arePieceDigests(pieces, 12_289)).toBe(false);
    expect(arePieceDigests({ ...pieces, digests: [...pieces.digests.slice(1), 'zz'] }, 10_000)).toBe(false);
    expect(arePieceDigests({ ...pieces, pieceBytes: 0 }, 10_000)).toBe(false);
    expect(arePieceDigests(undefined, 10_000)).toBe(false);
  });
});

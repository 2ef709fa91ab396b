import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce';

const bytesOf = async (s: ReadableStream<Uint8Array>) => {
  const chunks: Uint8Array[] = [];
  for await (const c of s as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return chunks;
};
const streamOf = (sizes: number[]) => {
  let v = 0;
  const chunks = sizes.map((n) => Uint8Array.from({ length: n }, () => v++ & 0xff));
  return new ReadableStream<Uint8Array>({ start(c) { chunks.forEach((x) => c.enqueue(x)); c.close(); } });
};

describe('coalesce', () => {
  it('regroups into chunks of at least minBytes, keeping every byte in order', async () => {
    const out = await bytesOf(streamOf([3, 0, 5, 1, 7, 2, 2]).pipeThrough(coalesce(6)));
    expect(out.map((c) => c.byteLength)).toEqual([8, 8, 4]);
    const all = out.flatMap((c) => [...c]);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
  it('passes a large chunk through as it is and ends an empty stream with no chunk', async () => {
    const big = await bytesOf(streamOf([10]).pipeThrough(coalesce(4)));
    expect(big.map((c) => c.byteLength)).toEqual([10]);
    expect(await bytesOf(streamOf([]).pipeThrough(coalesce(4)))).toEqual([]);
  });
});

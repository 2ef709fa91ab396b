import { describe, expect, it } from 'vitest';
import { PayloadBodies } from './payload-bodies';

/** A Blob that counts its whole reads and its slices. */
function counted(bytes: Uint8Array) {
  const stats = { whole: 0, slices: 0 };
  class Counted extends Blob {
    override arrayBuffer() { stats.whole++; return super.arrayBuffer(); }
    override slice(start?: number, end?: number) { stats.slices++; return super.slice(start, end); }
  }
  return { blob: new Counted([bytes as BlobPart]), stats };
}

const bytesOf = async (b: ReturnType<PayloadBodies['body']>) =>
  b instanceof Uint8Array ? b : b instanceof Blob ? new Uint8Array(await b.arrayBuffer()) : new Uint8Array(await new Response(b()).arrayBuffer());
const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);

describe('PayloadBodies', () => {
  it('gives the bytes of each range from one read of the payload, every time a body is written', async () => {
    const { blob, stats } = counted(data);
    const bodies = new PayloadBodies();
    const ranges = [[0, 100], [512, 4000], [9000, 10_000]] as const;
    const made = ranges.map(([s, e]) => bodies.body(blob, s, e));
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, [s, e]] of ranges.entries()) expect(await bytesOf(made[i])).toEqual(data.subarray(s, e));
    }
    expect(await bodies.read(blob, 10, 20)).toEqual(data.subarray(10, 20));
    expect(stats).toEqual({ whole: 1, slices: 0 });
    expect(await bytesOf(bodies.body(blob, 5, 5))).toEqual(new Uint8Array(0));
  });

  it('holds at most its budget: the least recently used payload is read again when asked for', async () => {
    const a = counted(data);
    const b = counted(data);
    const bodies = new PayloadBodies({ budget: 15_000 });
    await bodies.read(a.blob, 0, 1);
    await bodies.read(b.blob, 0, 1); // over budget: a goes
    await bodies.read(b.blob, 1, 2);
    expect(await bodies.read(a.blob, 3, 4)).toEqual(data.subarray(3, 4));
    expect([a.stats.whole, b.stats.whole]).toEqual([2, 1]);
  });

  it('reads per file when a payload is too big, or was dropped and read whole too often', async () => {
    const big = counted(data);
    const bodies = new PayloadBodies({ maxBulk: 5000 });
    expect(await bytesOf(bodies.body(big.blob, 100, 200))).toEqual(data.subarray(100, 200));
    expect(big.stats).toEqual({ whole: 0, slices: 1 });
    const a = counted(data);
    const b = counted(data);
    const thrash = new PayloadBodies({ budget: 15_000, maxReads: 2 });
    for (let i = 0; i < 4; i++) {
      expect(await thrash.read(a.blob, i, i + 1)).toEqual(data.subarray(i, i + 1));
      expect(await thrash.read(b.blob, i, i + 1)).toEqual(data.subarray(i, i + 1));
    }
    expect([a.stats.whole, b.stats.whole]).toEqual([2, 2]);
    expect(a.stats.slices + b.stats.slices).toBeGreaterThan(0);
  });
});

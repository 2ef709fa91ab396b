import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSha256, sha256, useSha256Engine } from './digest';
import { createMd5, md5Hex, useMd5Engine } from './md5';
import { useNodeMd5 } from './md5.node.js';
import { useNodeSha256 } from './sha256.node.js';

describe('sha256 engines', () => {
  afterEach(() => { useSha256Engine(undefined); useMd5Engine(undefined); });
  it('hash-wasm and node:crypto give the same digests, chunk by chunk', async () => {
    const data = new Uint8Array(3_000_001).map((_, i) => (i * 2654435761) >>> 24);
    const expected = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const incremental = async () => {
      const h = await createSha256();
      for (let i = 0; i < data.length; i += 65_537) h.update(data.subarray(i, i + 65_537));
      return [h.digest(), h.size];
    };
    expect(await incremental()).toEqual([expected, data.length]);
    useNodeSha256();
    expect(await incremental()).toEqual([expected, data.length]);
    expect(await sha256('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('md5: hash-wasm and node:crypto give the same digests, chunk by chunk', async () => {
    const data = new Uint8Array(3_000_001).map((_, i) => (i * 2654435761) >>> 24);
    const expected = createHash('md5').update(data).digest('hex');
    const incremental = async () => {
      const h = await createMd5();
      for (let i = 0; i < data.length; i += 65_537) h.update(data.subarray(i, i + 65_537));
      return h.hex();
    };
    expect(await incremental()).toBe(expected);
    useNodeMd5();
    expect(await incremental()).toBe(expected);
    expect(await md5Hex(new Blob(['abc']))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('reused hash-wasm instances never mix states: interleaved hashers, digests taken out of order, then reuse', async () => {
    const node = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const inputs = Array.from({ length: 40 }, (_, i) => new Uint8Array(1000 + i * 37).map((_, j) => (i * 31 + j) & 0xff));
    for (let round = 0; round < 3; round++) {
      const hashers = await Promise.all(inputs.map(() => createSha256()));
      for (let off = 0; off < 3000; off += 250) inputs.forEach((b, i) => hashers[i].update(b.subarray(off, off + 250)));
      const order = inputs.map((_, i) => i).sort((a, b) => ((a * 7) % 40) - ((b * 7) % 40));
      for (const i of order) expect(hashers[i].digest()).toBe(node(inputs[i]));
      // a second digest() returns the same value, even after the instance went back to the pool
      expect(hashers[0].digest()).toBe(node(inputs[0]));
      expect(() => hashers[1].update(new Uint8Array(1))).toThrow(/after digest/);
    }
    // a hasher taken from the pool starts from a clean state
    expect(await sha256('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const blobs = inputs.slice(0, 6).map((b) => new Blob([b]));
    const md5s = await Promise.all(blobs.map((b) => md5Hex(b)));
    md5s.push(...await Promise.all(blobs.map((b) => md5Hex(b))));
    expect(md5s).toEqual([...inputs.slice(0, 6), ...inputs.slice(0, 6)].map((b) => createHash('md5').update(b).digest('hex')));
  });

  it('a thousand hashes on one thread instantiate WebAssembly a bounded number of times', async () => {
    // every instance reserves address space until collected: a build that hashed each file with a fresh
    // instance ran a renderer out of it ("Cannot allocate Wasm memory for new instance")
    const spy = vi.spyOn(WebAssembly, 'instantiate');
    try {
      for (let i = 0; i < 1000; i++) {
        const h = await createSha256();
        h.update(new Uint8Array([i & 0xff, i >> 8]));
        h.digest();
      }
      for (let i = 0; i < 200; i++) await md5Hex(new Blob([new Uint8Array([i])]));
      expect(spy.mock.calls.length).toBeLessThanOrEqual(20);
    } finally {
      spy.mockRestore();
    }
  });
});

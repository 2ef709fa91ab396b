import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSha256, sha256, useSha256Engine } from './digest';
import { useNodeSha256 } from './sha256.node.js';

describe('sha256 engines', () => {
  afterEach(() => useSha256Engine(undefined));
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
});

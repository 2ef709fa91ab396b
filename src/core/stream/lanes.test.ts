import { describe, expect, it } from 'vitest';
import { inLanes } from './lanes';

describe('inLanes', () => {
  it('keeps at most `lanes` calls in flight and returns results by index', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await inLanes([5, 1, 4, 2, 3], 2, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
    expect(most).toBe(2);
    expect(await inLanes([], 3, async () => 1)).toEqual([]);
  });
  it('rejects with the first failure', async () => {
    await expect(inLanes([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); return n; })).rejects.toThrow('two');
  });
});

import { describe, expect, it } from 'vitest';
import { compareNames } from './paths';

const enc = new TextEncoder();
function byBytes(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

describe('compareNames', () => {
  it('orders like UTF-8 bytes, across ASCII, BMP above the surrogates and astral characters', () => {
    const alphabet = ['a', 'B', '-', '/', 'é', '\u00ff', '\uff5e', '\ue000', '\ufffd', '😀', '𝄞', '中'];
    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 16; };
    const word = () => Array.from({ length: 1 + (rand() % 4) }, () => alphabet[rand() % alphabet.length]).join('');
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = rand() % 3 === 0 ? a + word() : word();
      expect(Math.sign(compareNames(a, b)), `${a} vs ${b}`).toBe(Math.sign(byBytes(a, b)));
    }
    expect(compareNames('\uff5e', '😀')).toBeLessThan(0); // UTF-16 alone would say the opposite
  });
});

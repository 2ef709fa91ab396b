/**
 * Prefix replacement against a plain reference (a byte-by-byte search, the string split and joined): the
 * skipping search must find every occurrence the plain one does, including overlapping candidates, repeated
 * bytes and occurrences at the very start and end of a file.
 */
import { describe, expect, it } from 'vitest';
import { replaceBinary, replaceText } from './relocate';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The reference: every occurrence, left to right, found one byte at a time. */
function plainIndex(hay: Uint8Array, needle: Uint8Array, from: number): number {
  for (let i = from; i + needle.length <= hay.length; i++) {
    let j = 0;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function plainBinary(data: Uint8Array, ph: string, prefix: string): Uint8Array {
  const needle = enc.encode(ph);
  const out = data.slice();
  for (let i = plainIndex(out, needle, 0); i >= 0;) {
    let end = out.indexOf(0, i);
    if (end < 0) end = out.length;
    const replaced = bytes(dec.decode(out.subarray(i, end)).split(ph).join(prefix));
    out.set(replaced, i);
    out.fill(0, i + replaced.length, end);
    i = plainIndex(out, needle, end);
  }
  return out;
}

describe('relocate', () => {
  // a seeded generator: the same cases on every run
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };

  it('binary and text replacement find what a byte-by-byte search finds', () => {
    const placeholders = ['/opt/anaconda1anaconda2anaconda3', 'aab', 'abab', '/a', 'x'];
    for (const ph of placeholders) {
      for (let round = 0; round < 200; round++) {
        // pieces of the placeholder, of itself cut short, NULs and noise made of its own bytes
        const parts: string[] = [];
        for (let k = rand(12); k > 0; k--) {
          const r = rand(5);
          parts.push(r === 0 ? ph : r === 1 ? ph.slice(0, rand(ph.length)) : r === 2 ? '\0' : r === 3 ? ph[rand(ph.length)].repeat(rand(4)) : String.fromCharCode(32 + rand(90)));
        }
        const data = bytes(parts.join(''));
        const prefix = '/p'.slice(0, Math.min(2, ph.length));
        expect(Array.from(replaceBinary(data, ph, prefix, 'test'))).toEqual(Array.from(plainBinary(data, ph, prefix)));
        expect(dec.decode(replaceText(data, ph, '/usr/local/prefix'))).toBe(dec.decode(data).split(ph).join('/usr/local/prefix'));
      }
    }
  });

  it('occurrences at the start and the end of a file', () => {
    const ph = '/opt/anaconda1anaconda2anaconda3';
    const data = bytes(`${ph}/bin\0middle\0lib:${ph}`);
    const out = replaceBinary(data, ph, '/opt/conda', 'test');
    expect(out.byteLength).toBe(data.byteLength);
    expect(dec.decode(out)).toBe(`/opt/conda/bin${'\0'.repeat(ph.length - 10)}\0middle\0lib:/opt/conda${'\0'.repeat(ph.length - 10)}`);
  });
});

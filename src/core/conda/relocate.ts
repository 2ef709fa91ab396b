/** Prefix replacement (CONDA.md "Link into the prefix" 1–2): text anywhere, binary within NUL-terminated strings. */
import { CoreError } from '../errors';

const enc = new TextEncoder();

/**
 * The first index of `needle` in `hay` at or after `from`, or -1. Horspool's search: a placeholder is tens to
 * hundreds of bytes, so most alignments are skipped by up to its length after reading one byte (binary files
 * are full of its first byte, '/', which a byte-by-byte search stops at).
 */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const m = needle.length;
  const last = m - 1;
  if (m === 0) return from <= hay.length ? from : -1;
  const skip = new Int32Array(256).fill(m);
  for (let j = 0; j < last; j++) skip[needle[j]] = last - j;
  const tail = needle[last];
  outer: for (let i = from; i <= hay.length - m; i += skip[hay[i + last]]) {
    if (hay[i + last] !== tail) continue;
    for (let j = 0; j < last; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Replaces every occurrence of the placeholder with the prefix (the file may change length), then fixes a too-long shebang. */
export function replaceText(data: Uint8Array, placeholder: string, prefix: string): Uint8Array {
  const out = replaceAll(data, placeholder, prefix);
  return out === data ? data : fixLongShebang(out);
}

function replaceAll(data: Uint8Array, placeholder: string, prefix: string): Uint8Array {
  const ph = enc.encode(placeholder);
  const pre = enc.encode(prefix);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = indexOf(data, ph, 0); i >= 0; i = indexOf(data, ph, at)) {
    parts.push(data.subarray(at, i), pre);
    at = i + ph.length;
  }
  if (parts.length === 0) return data;
  parts.push(data.subarray(at));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Linux's limit on a `#!` line, in bytes including `#!`. */
export const SHEBANG_LIMIT = 127;

/**
 * A shebang longer than the kernel accepts is rewritten the way conda does: `#!/bin/sh` and a line that
 * re-executes the file with the original interpreter (valid shell, and a no-op string in Python).
 */
export function fixLongShebang(data: Uint8Array): Uint8Array {
  if (data[0] !== 0x23 || data[1] !== 0x21) return data;
  let nl = data.indexOf(0x0a);
  if (nl < 0) nl = data.length;
  if (nl <= SHEBANG_LIMIT) return data;
  const line = new TextDecoder().decode(data.subarray(2, nl)).trim();
  const [interp, ...args] = line.split(/\s+/);
  const head = enc.encode(`#!/bin/sh\n'''exec' "${interp}"${args.length ? ' ' + args.join(' ') : ''} "$0" "$@" #'''\n`);
  const out = new Uint8Array(head.length + data.length - Math.min(nl + 1, data.length));
  out.set(head);
  out.set(data.subarray(Math.min(nl + 1, data.length)), head.length);
  return out;
}

/**
 * Binary replacement: in each NUL-terminated string holding the placeholder, every occurrence is replaced
 * and the string's end is padded with NULs, so the file keeps its length and every offset.
 */
export function replaceBinary(data: Uint8Array, placeholder: string, prefix: string, what: string, inPlace = false): Uint8Array {
  const ph = enc.encode(placeholder);
  const pre = enc.encode(prefix);
  if (pre.length > ph.length) {
    throw new CoreError('invalid-argument', `${what}: the prefix "${prefix}" (${pre.length} bytes) is longer than the package's binary placeholder (${ph.length} bytes); choose a shorter prefix`);
  }
  let i = indexOf(data, ph, 0);
  if (i < 0) return data;
  const out = inPlace ? data : data.slice();
  while (i >= 0) {
    let end = out.indexOf(0, i);
    if (end < 0) end = out.length;
    // the string [i, end) may hold the placeholder several times
    const str = out.subarray(i, end);
    const replaced = replaceAll(str, placeholder, prefix);
    out.set(replaced, i);
    out.fill(0, i + replaced.length, end);
    i = indexOf(out, ph, end);
  }
  return out;
}

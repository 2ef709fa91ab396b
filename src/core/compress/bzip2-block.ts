/**
 * One bzip2 block: its header and Huffman tables, the symbols (MTF + RUNA/RUNB runs) into the block's
 * bytes, the inverse Burrows–Wheeler transform, then on demand the output with the initial run-length
 * coding undone and the block CRC computed. Used by `bzip2.ts`, which frames streams and blocks.
 *
 * Format (bit-packed, most significant bit first), after the 48-bit block magic 0x314159265359:
 * 32 block CRC | 1 randomised | 24 origPtr | 16 used-map + 16 bits per set bit (bytes in use) |
 * 3 nGroups (2..6) | 15 nSelectors | unary selectors (MTF-coded) | per group: 5-bit start length and
 * delta-coded lengths (1..20) for each of numInUse+2 symbols | Huffman-coded symbols, 50 per selector,
 * up to the end-of-block symbol numInUse+1.
 *
 * Typed arrays only: one Uint32Array of the stream's block size (3.6 MB at -9) per decoder, reused.
 * Measured choices: the inverse-BWT walk is a chain of dependent random reads, so the run-length
 * decoding and CRC are done in the same loop, in the shadow of its cache misses (a separate pass, or
 * walking from both ends through a second array, were slower); MTF moves use copyWithin past 16.
 */
import { CoreError } from '../errors';

/** Thrown by the bit reader when it needs bytes that have not arrived yet (the block is retried later). */
export class NeedInput {}
export const NEED_INPUT = new NeedInput();

/** bzip2's CRC-32: polynomial 0x04c11db7, not reflected (MSB first), initial value and final xor ~0. */
export const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Compressed input as bits: `data[pos..]` not yet loaded, `count` bits of `buf` loaded but unread. */
export class BitInput {
  data = new Uint8Array(0);
  pos = 0;
  buf = 0;
  count = 0;
  /** no more input will come: reads past the end yield zero bits (see `overrun`) instead of NEED_INPUT */
  eof = false;

  /** Reads `n` ≤ 24 bits as an unsigned number. */
  bits(n: number): number {
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.buf >>> this.count) & ((1 << n) - 1);
  }

  /** Loads bytes until more than 24 bits are buffered (zeros past the end once `eof`). */
  fill(): void {
    while (this.count <= 24) {
      if (this.pos < this.data.length) this.buf = (this.buf << 8) | this.data[this.pos];
      else if (this.eof) this.buf <<= 8;
      else throw NEED_INPUT;
      this.pos++;
      this.count += 8;
    }
  }

  /** True when more bits were consumed than the input holds (it was truncated). */
  overrun(): boolean {
    return this.pos * 8 - this.count > this.data.length * 8;
  }
}

const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
/** bzip2 1.0.8 reads any count of selectors but uses at most this many (CVE-2019-12900) */
const MAX_SELECTORS = 2 + 900_000 / 50;
/** codes up to this many bits are decoded by one table look-up, longer ones by the canonical limits */
const LOOKUP_BITS = 11;
const LOOKUP_SIZE = 1 << LOOKUP_BITS;

/** A block parsed and inverted, ready to be written out; `emit` resumes where the last call stopped. */
export class Bzip2Block {
  /** per position of the BWT last column: low 8 bits its byte, high 24 bits the inverse BWT link */
  private tt = new Uint32Array(0);
  private readonly counts = new Int32Array(256);
  private readonly mtf = new Uint8Array(256);
  private readonly selectors = new Uint8Array(MAX_SELECTORS);
  private readonly lengths = new Uint8Array(MAX_GROUPS * MAX_ALPHA);
  /** per group: LOOKUP_SIZE entries of (symbol << 5 | length), 0 = longer code or none */
  private readonly lookup = new Uint16Array(MAX_GROUPS * LOOKUP_SIZE);
  /** per group and code length: the largest code of that length, and perm index minus first code */
  private readonly limit = new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1));
  private readonly base = new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1));
  private readonly perm = new Uint16Array(MAX_GROUPS * MAX_ALPHA);

  /** the CRC stored in the block header */
  storedCrc = 0;
  // output state
  private tPos = 0;
  private left = 0;
  private prev = -1;
  private run = 0;
  private rep = 0;
  private crc = -1;
  private input?: BitInput;

  constructor(private readonly what: string) {}

  /** True once every byte of the block has been emitted. */
  get done(): boolean {
    return this.left === 0 && this.rep === 0;
  }

  /** The CRC of the bytes emitted so far (the block CRC once `done`). */
  get computedCrc(): number {
    return ~this.crc >>> 0;
  }

  private corrupt(detail: string): CoreError {
    // past the end of a truncated input the reader sees zero bits: say so instead of what they look like
    const truncated = this.input?.eof && this.input.overrun();
    return new CoreError('compression-corrupt', `${this.what} is corrupt: ${truncated ? 'the data ends inside a block (truncated)' : detail}`);
  }

  /**
   * Parses a block whose magic was just read from `input`, for a stream of `level` × 100 000-byte
   * blocks. Throws NEED_INPUT when the input ends early and more may come, CoreError when corrupt.
   */
  parse(input: BitInput, level: number): void {
    this.input = input;
    const maxBlock = level * 100_000;
    if (this.tt.length < maxBlock) this.tt = new Uint32Array(maxBlock);
    this.storedCrc = ((input.bits(16) << 16) | input.bits(16)) >>> 0;
    if (input.bits(1)) throw this.corrupt('a randomised block (written by bzip2 0.9.0 or older, not supported)');
    const origPtr = input.bits(24);

    // the bytes in use: a 16-bit map of 16-byte ranges, then a 16-bit map for each range present
    const mtf = this.mtf;
    let numInUse = 0;
    const used = input.bits(16);
    for (let i = 0; i < 16; i++) {
      if (!(used & (0x8000 >>> i))) continue;
      const bits = input.bits(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) mtf[numInUse++] = i * 16 + j;
    }
    if (numInUse === 0) throw this.corrupt('a block uses no byte values');
    const alphaSize = numInUse + 2;

    const nGroups = input.bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) throw this.corrupt(`${nGroups} Huffman tables (2 to 6 allowed)`);
    let nSelectors = input.bits(15);
    if (nSelectors < 1) throw this.corrupt('a block has no selectors');
    // selectors: unary (j ones then a zero), MTF-coded over the table numbers
    const selectors = this.selectors;
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (input.bits(1)) if (++j >= nGroups) throw this.corrupt('a selector names a missing Huffman table');
      if (i < MAX_SELECTORS) selectors[i] = j;
    }
    if (nSelectors > MAX_SELECTORS) nSelectors = MAX_SELECTORS;
    const order = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      let v = selectors[i];
      const t = order[v];
      for (; v > 0; v--) order[v] = order[v - 1];
      order[0] = t;
      selectors[i] = t;
    }

    // code lengths: a 5-bit start, then per symbol "1x" steps (x=0: +1, x=1: -1) ended by a 0
    const lengths = this.lengths;
    for (let t = 0; t < nGroups; t++) {
      let cur = input.bits(5);
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (cur < 1 || cur > MAX_CODE_LEN) throw this.corrupt(`a Huffman code length of ${cur}`);
          if (!input.bits(1)) break;
          cur += input.bits(1) ? -1 : 1;
        }
        lengths[t * MAX_ALPHA + i] = cur;
      }
      this.buildTable(t, alphaSize);
    }

    let nblock: number;
    try {
      nblock = this.decodeSymbols(input, nSelectors, numInUse, maxBlock);
    } catch (e) {
      // the zero bits read past the end of a truncated input look like anything: say it was truncated
      if (e instanceof CoreError && input.eof && input.overrun()) throw this.corrupt('');
      throw e;
    }
    if (input.eof && input.overrun()) throw this.corrupt('');
    if (origPtr >= nblock) throw this.corrupt(`the BWT origin ${origPtr} is outside the block of ${nblock} bytes`);

    // inverse BWT: link each position to the next in the original order
    const tt = this.tt;
    const start = new Int32Array(256);
    for (let i = 0, sum = 0; i < 256; i++) { start[i] = sum; sum += this.counts[i]; }
    for (let i = 0; i < nblock; i++) {
      const b = tt[i] & 0xff;
      tt[start[b]++] |= i << 8;
    }
    this.tPos = tt[origPtr] >>> 8;
    this.left = nblock;
    this.prev = -1;
    this.run = 0;
    this.rep = 0;
    this.crc = -1;
  }

  /** Canonical Huffman decoding tables for group `t` (codes by length, then symbol, as bzip2 assigns). */
  private buildTable(t: number, alphaSize: number): void {
    const lengths = this.lengths, lo = t * MAX_ALPHA, ho = t * (MAX_CODE_LEN + 1);
    const count = new Int32Array(MAX_CODE_LEN + 1);
    for (let i = 0; i < alphaSize; i++) count[lengths[lo + i]]++;
    const next = new Int32Array(MAX_CODE_LEN + 1);
    // no check that the lengths make a prefix code: like bzip2, decode oversubscribed tables anyway (the
    // codes past 2^len can never match) and let the CRC judge; bzip2 itself decodes such files
    let code = 0, idx = 0;
    for (let len = 1; len <= MAX_CODE_LEN; len++) {
      next[len] = idx;
      this.limit[ho + len] = code + count[len] - 1;
      this.base[ho + len] = idx - code;
      code = (code + count[len]) << 1;
      idx += count[len];
    }
    const lookup = this.lookup, lk = t * LOOKUP_SIZE;
    lookup.fill(0, lk, lk + LOOKUP_SIZE);
    for (let sym = 0; sym < alphaSize; sym++) {
      const len = lengths[lo + sym];
      const c = next[len] - this.base[ho + len]; // this symbol's code: the first code of its length + its rank among them
      this.perm[lo + next[len]++] = sym;
      if (len <= LOOKUP_BITS && c < 1 << len) {
        const from = lk + (c << (LOOKUP_BITS - len));
        lookup.fill((sym << 5) | len, from, from + (1 << (LOOKUP_BITS - len)));
      }
    }
  }

  /** Decodes Huffman symbols, undoes MTF and RUNA/RUNB runs into `tt` and `counts`; returns the length. */
  private decodeSymbols(input: BitInput, nSelectors: number, numInUse: number, maxBlock: number): number {
    const { tt, counts, mtf, selectors, lookup, limit, base, perm } = this;
    const data = input.data, len = input.data.length, eof = input.eof;
    let pos = input.pos, buf = input.buf, count = input.count;
    const eob = numInUse + 1;
    counts.fill(0);
    let nblock = 0, groupNo = -1, groupLeft = 0, lk = 0, ho = 0, po = 0;
    let run = 0, runShift = 0;
    try {
      for (;;) {
        if (groupLeft === 0) {
          if (++groupNo >= nSelectors) throw this.corrupt('a block has more symbols than its selectors cover');
          groupLeft = 50;
          const g = selectors[groupNo];
          lk = g * LOOKUP_SIZE;
          ho = g * (MAX_CODE_LEN + 1);
          po = g * MAX_ALPHA;
        }
        groupLeft--;
        if (count < MAX_CODE_LEN) {
          while (count <= 24) {
            if (pos < len) buf = (buf << 8) | data[pos];
            else if (eof) { buf <<= 8; if (pos > len + 4) throw this.corrupt('the data ends inside a block'); }
            else throw NEED_INPUT;
            pos++;
            count += 8;
          }
        }
        const e = lookup[lk + ((buf >>> (count - LOOKUP_BITS)) & (LOOKUP_SIZE - 1))];
        let sym: number;
        if (e !== 0) {
          count -= e & 31;
          sym = e >>> 5;
        } else {
          // longer than LOOKUP_BITS (or no code at all): walk the canonical limits, 20 bits peeked
          const c20 = (buf >>> (count - MAX_CODE_LEN)) & 0xfffff;
          let l = LOOKUP_BITS + 1;
          let c = c20 >>> (MAX_CODE_LEN - l);
          while (c > limit[ho + l]) {
            if (++l > MAX_CODE_LEN) throw this.corrupt('a bit sequence that is no Huffman code');
            c = c20 >>> (MAX_CODE_LEN - l);
          }
          count -= l;
          sym = perm[po + base[ho + l] + c];
        }
        if (sym <= 1) {
          // RUNA (0) / RUNB (1): bijective base-2 digits of a run of the front byte, least significant first
          run += (sym + 1) << runShift++;
          if (run > maxBlock) throw this.corrupt('a run is longer than the block');
          continue;
        }
        if (run > 0) {
          const b = mtf[0];
          if (nblock + run > maxBlock) throw this.corrupt('a block is longer than its stream header allows');
          counts[b] += run;
          if (run < 16) while (run-- > 0) tt[nblock++] = b;
          else { tt.fill(b, nblock, nblock + run); nblock += run; }
          run = 0;
          runShift = 0;
        }
        if (sym === eob) break;
        // move-to-front: index sym-1 comes to the front
        let i = sym - 1;
        const b = mtf[i];
        if (i < 16) for (; i > 0; i--) mtf[i] = mtf[i - 1];
        else mtf.copyWithin(1, 0, i);
        mtf[0] = b;
        if (nblock >= maxBlock) throw this.corrupt('a block is longer than its stream header allows');
        counts[b]++;
        tt[nblock++] = b;
      }
    } finally {
      // also on errors: parse() tells a truncated input by the reader's position
      input.pos = pos;
      input.buf = buf;
      input.count = count;
    }
    return nblock;
  }

  /**
   * Writes the block's next bytes into `out` from index `o` up to `out.length`, undoing the initial
   * run-length coding (4 equal bytes then a count 0..255 of further copies) and updating the CRC.
   * Returns the new index.
   */
  emit(out: Uint8Array, o: number): number {
    const tt = this.tt, T = CRC_TABLE, cap = out.length;
    let { tPos, left, prev, run, rep, crc } = this;
    for (;;) {
      if (rep > 0) {
        const n = Math.min(rep, cap - o);
        out.fill(prev, o, o + n);
        for (let k = 0; k < n; k++) crc = (crc << 8) ^ T[(crc >>> 24) ^ prev];
        o += n;
        rep -= n;
        if (rep > 0) break;
      }
      if (left === 0 || o === cap) break;
      // the hot loop: one byte per step until a repeat count or a full buffer
      while (left > 0 && o < cap) {
        tPos = tt[tPos];
        const b = tPos & 0xff;
        tPos >>>= 8;
        left--;
        if (run === 4) { run = 0; rep = b; break; }
        if (b === prev) run++;
        else { prev = b; run = 1; }
        out[o++] = b;
        crc = (crc << 8) ^ T[(crc >>> 24) ^ b];
      }
    }
    this.tPos = tPos; this.left = left; this.prev = prev; this.run = run; this.rep = rep; this.crc = crc;
    return o;
  }
}

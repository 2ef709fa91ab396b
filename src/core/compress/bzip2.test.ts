/**
 * The bzip2 decoder against the real `bzip2` (Debian's 1.0.8): byte-for-byte round trips over a spread
 * of inputs, block sizes, block boundaries and concatenated streams, whole and streamed in small chunks;
 * every `.bz2` of the shared fixtures; corrupt and truncated inputs (each decoded in a child process
 * under a timeout, so a hang fails the test instead of stalling it) agree with bzip2 on what is an error;
 * bombs stop at the cap.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, fixturesDir, haveFixtures, repoRoot } from '../../test-support/fixtures';
import { CoreError } from '../errors';
import { bunzip2, bunzip2Readable, bunzip2Stream } from './bzip2';
import { decompressStream } from './decompress';

const tmp = mkdtempSync(join(tmpdir(), 'bzip2-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Compresses with the real bzip2 (`-1` … `-9`). */
const bz = (input: Uint8Array, level = 9): Uint8Array =>
  new Uint8Array(execFileSync('bzip2', ['-c', `-${level}`], { input, maxBuffer: 1 << 30 }));
/** The real bzip2's verdict on compressed bytes: its output, or undefined when it fails. */
function bzipVerdict(input: Uint8Array): Uint8Array | undefined {
  const r = spawnSync('bzip2', ['-dc'], { input, maxBuffer: 1 << 30 });
  return r.status === 0 ? new Uint8Array(r.stdout) : undefined;
}
/** Blocks in the first stream, as `bzip2 -tvvv` lists them. */
const blockCount = (compressed: Uint8Array): number =>
  (spawnSync('bzip2', ['-tvvv'], { input: compressed }).stderr.toString().match(/\[\d+: huff/g) ?? []).length;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function streamOf(bytes: Uint8Array, chunk: number, pulled?: { n: number }): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) { c.close(); return; }
      const part = bytes.slice(o, o + chunk);
      o += chunk;
      if (pulled) pulled.n += part.byteLength;
      c.enqueue(part);
    },
  }, { highWaterMark: 0 });
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) parts.push(x.value);
  return concat(...parts);
}

/** Deterministic pseudo-random bytes (xorshift32). */
function random(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x; }
  return out;
}
/** Bytes where no two neighbours are equal: the initial run-length coding leaves them alone. */
function noRuns(n: number): Uint8Array {
  const r = random(n, 7), out = new Uint8Array(n);
  for (let i = 1; i < n; i++) out[i] = (out[i - 1] + 1 + (r[i] % 255)) & 0xff;
  return out;
}
/** Compressible text from a small vocabulary. */
function text(n: number): Uint8Array {
  const words = ['conda', 'package', 'layer', 'image', 'the', 'of', 'bzip2', 'stream', 'block', 'tar', '\n', 'a', 'docker'];
  const r = random(n, 3);
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[r[i % n] % words.length] + ' ';
  return new TextEncoder().encode(s.slice(0, n));
}
const fill = (n: number, b: number) => new Uint8Array(n).fill(b);
/** Runs of every length from 1 to 600 of changing bytes, around RLE1's 4 and 4+255 limits. */
function runs(): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let k = 1; k <= 600; k += (k < 270 ? 1 : 37)) parts.push(fill(k, k & 0xff));
  return concat(...parts);
}

describe('bunzip2 round trips against bzip2', () => {
  const inputs: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['1 byte', Uint8Array.of(0x41)],
    ['2 bytes', Uint8Array.of(0, 0xff)],
    ...[3, 4, 5, 8, 255, 256, 258, 259, 260, 263, 264, 1000, 100_000, 1_000_000].map((n): [string, Uint8Array] => [`a run of ${n} equal bytes`, fill(n, 0x61)]),
    ['runs of 1..600 bytes', runs()],
    ['every byte value', Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff)],
    ['300 kB random', random(300_000)],
    ['300 kB text', text(300_000)],
    ['random with runs', concat(random(50_000, 5), fill(70_000, 0), random(30_000, 9), fill(5, 1), random(10, 2))],
  ];
  for (const [name, data] of inputs) {
    it(`${name} (${data.byteLength} bytes), -1 and -9, whole and in chunks`, async () => {
      for (const level of [1, 9]) {
        const c = bz(data, level);
        expect(Buffer.from(bunzip2(c)).equals(data), `-${level} whole`).toBe(true);
        for (const chunk of c.byteLength < 20_000 ? [1, 3, 4096] : [4096, 65_536]) {
          expect(Buffer.from(await collect(bunzip2Readable(streamOf(c, chunk)))).equals(data), `-${level} chunks of ${chunk}`).toBe(true);
        }
      }
    });
  }

  it('every block size -1 … -9 on 1.2 MB of text and of mixed data (several blocks each)', async () => {
    const data = concat(text(700_000), random(300_000, 11), fill(200_000, 7));
    for (let level = 1; level <= 9; level++) {
      const c = bz(data, level);
      expect(blockCount(c), `-${level}`).toBeGreaterThan(1);
      expect(sha(bunzip2(c)), `-${level}`).toBe(sha(data));
      expect(sha(await collect(bunzip2Readable(streamOf(c, 8192)))), `-${level} streamed`).toBe(sha(data));
    }
  });

  it('exactly one full block, and one byte more (two blocks)', () => {
    // bzip2 fills a block with up to 100 000 × level − 19 bytes after its initial run-length coding
    for (const level of [1, 2]) {
      const full = level * 100_000 - 19;
      for (const n of [full - 1, full, full + 1]) {
        const data = noRuns(n);
        const c = bz(data, level);
        expect(blockCount(c), `-${level} ${n}`).toBe(n > full ? 2 : 1);
        expect(Buffer.from(bunzip2(c)).equals(data), `-${level} ${n}`).toBe(true);
      }
    }
    // a run that straddles the block end
    const data = concat(noRuns(99_900), fill(300, 0x55), noRuns(500));
    expect(blockCount(bz(data, 1))).toBe(2);
    expect(Buffer.from(bunzip2(bz(data, 1))).equals(data)).toBe(true);
  });

  it('concatenated streams (as pbzip2 writes), an empty one among them, with mixed block sizes', async () => {
    const a = text(150_000), b = random(120_000, 4), c = runs();
    const multi = concat(bz(a, 1), bz(new Uint8Array(0)), bz(b, 9), bz(c, 5), bz(Uint8Array.of(1), 2));
    const want = concat(a, b, c, Uint8Array.of(1));
    expect(bzipVerdict(multi)).toEqual(want);
    expect(Buffer.from(bunzip2(multi)).equals(want)).toBe(true);
    for (const chunk of [1000, 65_536]) expect(Buffer.from(await collect(bunzip2Readable(streamOf(multi, chunk)))).equals(want)).toBe(true);
    // bytes after the last stream that do not start a new one are ignored, as bzip2 and Python's bz2 do
    const trailing = concat(bz(a, 1), new TextEncoder().encode('trailing garbage'));
    expect(bzipVerdict(trailing)).toEqual(a);
    expect(Buffer.from(bunzip2(trailing)).equals(a)).toBe(true);
  });

  it('bunzip2Stream pipes like a TransformStream; decompressStream(…, "bzip2") decodes too', async () => {
    const data = text(200_000);
    const c = bz(data, 3);
    expect(Buffer.from(await collect(streamOf(c, 777).pipeThrough(bunzip2Stream()))).equals(data)).toBe(true);
    expect(Buffer.from(await collect(decompressStream(streamOf(c, 4096), 'bzip2'))).equals(data)).toBe(true);
  });

  it('reads its source only as output is consumed (one block of input ahead at most)', async () => {
    const c = bz(random(4_000_000, 8), 9);
    const pulled = { n: 0 };
    const reader = bunzip2Readable(streamOf(c, 16_384, pulled)).getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBeGreaterThan(0);
    expect(pulled.n).toBeLessThan(2_000_000);
    await reader.cancel();
  });
});

describe.skipIf(!haveFixtures)('every .bz2 of the shared fixtures', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '.git') walk(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.bz2')) files.push(join(dir, e.name));
    }
  };
  if (haveFixtures) walk(fixture('.'));

  it('decodes each equal to bzip2 -dc (the .tar.bz2 packages and .json.bz2 repodata included)', () => {
    expect(files.filter((f) => f.endsWith('.tar.bz2')).length).toBeGreaterThan(50);
    let decoded = 0;
    for (const f of files) {
      const rel = relative(fixturesDir, f);
      const bytes = readFileSync(f);
      const want = bzipVerdict(bytes);
      if (want) {
        expect(sha(bunzip2(bytes)), rel).toBe(sha(want));
        decoded++;
      } else {
        // conda-index's corrupt/ fixtures: bzip2 refuses them, and so do we
        expect(() => bunzip2(bytes), rel).toThrow(expect.objectContaining({ code: 'compression-corrupt' }));
      }
    }
    expect(decoded).toBeGreaterThan(files.length - 5);
  });
});

describe('corrupt and truncated input', () => {
  /** Decodes each case in a child process with a timeout; checks it against bzip2's verdict. */
  function checkCases(name: string, cases: Array<[string, Uint8Array]>): Array<{ file: string; ok: boolean; code?: string; message?: string }> {
    const dir = mkdtempSync(join(tmp, `${name}-`));
    const verdicts = new Map<string, Uint8Array | undefined>();
    cases.forEach(([label, bytes], i) => {
      const file = `${String(i).padStart(4, '0')}-${label}.bz2`;
      writeFileSync(join(dir, file), bytes);
      verdicts.set(file, bzipVerdict(bytes));
    });
    const r = spawnSync('node', ['--import', 'tsx', join(repoRoot, 'src/test-support/bunzip2-files.ts'), dir], { cwd: repoRoot, timeout: 90_000, encoding: 'utf8', maxBuffer: 1 << 26 });
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; ok: boolean; sha256?: string; code?: string; message?: string; ms: number });
    const next = [...verdicts.keys()][lines.length];
    expect(r.signal, `killed while decoding ${next}: a hang`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(lines.length).toBe(cases.length);
    for (const l of lines) {
      const want = verdicts.get(l.file);
      expect(l.ms, `${l.file} took ${l.ms} ms`).toBeLessThan(3000);
      if (want) expect(l, `${l.file}: bzip2 decodes it`).toMatchObject({ ok: true, sha256: sha(want) });
      else expect(l, `${l.file}: bzip2 refuses it`).toMatchObject({ ok: false, code: 'compression-corrupt' });
    }
    return lines;
  }

  const data = concat(text(150_000), random(60_000, 21), fill(1000, 9), text(40_000));
  const one = bz(data, 1); // 3 blocks
  const multi = concat(bz(text(3000), 9), bz(runs(), 1));

  it('flipped bits all over (headers, tables, symbols, CRCs, end marker, padding) are errors or harmless, as for bzip2', () => {
    const cases: Array<[string, Uint8Array]> = [];
    const flip = (src: Uint8Array, byte: number, bit: number): Uint8Array => { const b = src.slice(); b[byte] ^= 1 << bit; return b; };
    const r = random(400, 99);
    for (let k = 0; k < 160; k++) {
      const at = k < 40 ? k : Math.floor(((k - 40) / 120) * one.byteLength);
      cases.push([`one-${at}-${r[k] & 7}`, flip(one, at, r[k] & 7)]);
    }
    for (let at = 0; at < multi.byteLength; at += Math.max(1, Math.floor(multi.byteLength / 120))) cases.push([`multi-${at}-${r[at % 400] & 7}`, flip(multi, at, r[at % 400] & 7)]);
    for (let k = 1; k <= 12; k++) cases.push([`one-tail-${k}`, flip(one, one.byteLength - k, k % 8)]);
    const lines = checkCases('flip', cases);
    expect(lines.filter((l) => !l.ok).length).toBeGreaterThan(cases.length * 0.8);
  });

  it('truncation at many offsets is compression-corrupt (except at a stream boundary)', () => {
    const cases: Array<[string, Uint8Array]> = [];
    for (let n = 0; n < 64; n++) cases.push([`one-${n}`, one.subarray(0, n)]);
    for (let k = 1; k <= 150; k++) { const n = Math.floor((k / 151) * one.byteLength); cases.push([`one-${n}`, one.subarray(0, n)]); }
    for (let n = one.byteLength - 12; n < one.byteLength; n++) cases.push([`one-${n}`, one.subarray(0, n)]);
    for (let n = 1; n < multi.byteLength; n += 37) cases.push([`multi-${n}`, multi.subarray(0, n)]);
    const lines = checkCases('trunc', cases);
    expect(lines.filter((l) => l.ok).length).toBeLessThanOrEqual(1); // the cut at the end of the first stream
    for (const l of lines.filter((x) => /-one-\d{3,}\.bz2$/.test(x.file))) expect(l.message, l.file).toMatch(/truncated/);
  });

  it('bad CRCs and signatures say what is wrong', () => {
    const err = (b: Uint8Array) => { try { bunzip2(b); } catch (e) { return e as CoreError; } throw new Error('decoded'); };
    const blockCrc = one.slice(); blockCrc[12] ^= 0x10; // bytes 10..13: the first block's CRC
    expect(err(blockCrc)).toMatchObject({ code: 'compression-corrupt', message: expect.stringMatching(/block 1: CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/) });
    const streamCrc = one.slice(); streamCrc[streamCrc.length - 2] ^= 0x04; // inside the combined CRC
    expect(err(streamCrc).message).toMatch(/stream 1: combined CRC mismatch/);
    for (const head of ['BZh0', 'BZx9', 'AZh9', 'BZ', 'hello world']) {
      const b = concat(new TextEncoder().encode(head), one.subarray(4));
      expect(err(b.subarray(0, head.length < 4 ? head.length : undefined)).code, head).toBe('compression-corrupt');
    }
    expect(err(new Uint8Array(0)).message).toMatch(/empty/);
    expect(err(concat(new TextEncoder().encode('BZh9'), random(100))).message).toMatch(/no block or end-of-stream signature/);
    expect(err(concat(one, new TextEncoder().encode('BZh9'), random(100))).code).toBe('compression-corrupt'); // a second stream, corrupt
  });

  it('a bomb (200 MB of zeros in 178 bytes) stops at the cap at once: archive-invalid, nothing past the cap handed out', async () => {
    const bomb = new Uint8Array(execFileSync('sh', ['-c', 'head -c 200000000 /dev/zero | bzip2 -9'], { maxBuffer: 1 << 20 }));
    expect(bomb.byteLength).toBeLessThan(300);
    const t = performance.now();
    expect(() => bunzip2(bomb, 10_000_000)).toThrow(expect.objectContaining({ code: 'archive-invalid', message: expect.stringMatching(/bzip2 data expands past 10000000 bytes: refusing it/) }));
    let delivered = 0;
    const reader = bunzip2Readable(streamOf(bomb, 64), { maxBytes: 5_000_000, what: 'bomb.tar.bz2' }).getReader();
    const e = await (async () => { for (;;) { const r = await reader.read(); if (r.done) return undefined; delivered += r.value.byteLength; } })().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'archive-invalid', message: expect.stringMatching(/^bomb\.tar\.bz2 expands past 5000000 bytes/) });
    expect(delivered).toBeLessThanOrEqual(5_000_000);
    expect(performance.now() - t).toBeLessThan(3000);
    // at exactly the size it is fine
    expect(bunzip2(bz(fill(1_000_000, 0)), 1_000_000).byteLength).toBe(1_000_000);
    expect(() => bunzip2(bz(fill(1_000_000, 0)), 999_999)).toThrow(expect.objectContaining({ code: 'archive-invalid' }));
  });
});

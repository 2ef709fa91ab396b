import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../errors';
import { declaredZstdSize, loadZstdWasm, zstdDecodeAll, zstdDecodeAllFrom, ZstdWasmDecoder, zstdWasmMemoryBytes } from './zstd-wasm';

const zstd = (input: Uint8Array, args: string[] = []): Uint8Array => new Uint8Array(execFileSync('zstd', ['-c', '-q', ...args], { input, maxBuffer: 1 << 30 }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** compressible but not trivial bytes */
function payload(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = (x >>> 24) % 17 + 65; }
  return out;
}

describe('zstd in WebAssembly', () => {
  beforeAll(() => loadZstdWasm());

  it('decodes frames and skippable frames fed a byte at a time, to the zstd CLI’s bytes', () => {
    const data = payload(300_000);
    const skippable = new Uint8Array([0x5a, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7]);
    const z = new Uint8Array([...skippable, ...zstd(data.subarray(0, 1000)), ...skippable, ...zstd(data.subarray(1000))]);
    const d = new ZstdWasmDecoder();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < z.length; i++) d.push(z.subarray(i, i + 1), (v) => parts.push(v.slice()));
    d.end();
    expect(sha(Buffer.concat(parts))).toBe(sha(data));
    expect(sha(zstdDecodeAll(z, { maxBytes: data.length, what: 'two frames' }))).toBe(sha(data));
  });

  it('reads the content size a frame declares (files compressed by the CLI do; streams do not)', () => {
    const data = payload(70_000);
    const dir = mkdtempSync(join(tmpdir(), 'zstd-wasm-'));
    try {
      writeFileSync(join(dir, 'f'), data);
      execFileSync('zstd', ['-q', '-19', join(dir, 'f'), '-o', join(dir, 'f.zst')]);
      const fromFile = new Uint8Array(readFileSync(join(dir, 'f.zst')));
      expect(declaredZstdSize(fromFile)).toBe(70_000);
      expect(declaredZstdSize(zstd(data))).toBeUndefined();
      expect(declaredZstdSize(new Uint8Array([1, 2, 3, 4, 5, 6]))).toBeUndefined();
      // a declared size over the cap is refused before anything is decoded
      const e = (() => { try { zstdDecodeAll(fromFile, { maxBytes: 69_999, what: 'pkg' }); } catch (x) { return x; } })();
      expect((e as CoreError).code).toBe('archive-invalid');
      expect(sha(zstdDecodeAll(fromFile, { maxBytes: 70_000, what: 'pkg' }))).toBe(sha(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a bomb at the cap: 64 MiB of zeros from a few KiB, capped at 1 MiB', () => {
    const z = zstd(new Uint8Array(64 << 20), ['-19']);
    expect(z.length).toBeLessThan(64 * 1024);
    const e = (() => { try { zstdDecodeAll(z, { maxBytes: 1 << 20, what: 'bomb' }); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe('archive-invalid');
    expect((e as Error).message).toMatch(/bomb expands past 1048576 bytes/);
  });

  it('accepts a frame whose output ends exactly on the 1 MiB window (zeros, as `zstd -t` does)', () => {
    for (const size of [1 << 20, 2 << 20, 3 << 20]) {
      const z = zstd(new Uint8Array(size));
      execFileSync('zstd', ['-t', '-q'], { input: z });
      const out = zstdDecodeAll(z, { maxBytes: size, what: 'zeros' });
      expect(out.byteLength).toBe(size);
      expect(out.every((b) => b === 0)).toBe(true);
      // and fed in pieces, pulled one window at a time
      const d = new ZstdWasmDecoder();
      let n = 0;
      for (let i = 0; i < z.length; i += 7) {
        d.feed(z.subarray(i, i + 7));
        for (let v = d.next(); v; v = d.next()) n += v.byteLength;
      }
      d.end();
      expect(n).toBe(size);
    }
  });

  it('zstdDecodeAllFrom decodes a stream chunk by chunk to the same bytes, with the same cap and errors', async () => {
    const chunked = (b: Uint8Array, n: number) => new ReadableStream<Uint8Array>({
      start(c) { for (let i = 0; i < b.length; i += n) c.enqueue(b.slice(i, i + n)); c.close(); },
    });
    const data = payload(3_000_000, 7);
    const z = zstd(data);
    for (const n of [1 << 16, 7_001, z.length]) {
      // a size hint below the real size: the buffer grows
      expect(sha(await zstdDecodeAllFrom(chunked(z, n), { maxBytes: data.length, sizeHint: 1000, what: 'chunks' }))).toBe(sha(data));
    }
    // chunks it owns are given back once decoded (where the runtime can): the output is still whole
    const owned: Uint8Array[] = [];
    const mine = new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < z.length; i += 1 << 16) { const x = z.slice(i, i + (1 << 16)); owned.push(x); c.enqueue(x); } c.close(); } });
    expect(sha(await zstdDecodeAllFrom(mine, { maxBytes: data.length, what: 'owned', ownsChunks: true }))).toBe(sha(data));
    if ('transfer' in ArrayBuffer.prototype) expect(owned.every((x) => x.byteLength === 0)).toBe(true);
    const bomb = zstd(new Uint8Array(64 << 20), ['-19']);
    const capped = await zstdDecodeAllFrom(chunked(bomb, 4096), { maxBytes: 1 << 20, what: 'bomb' }).catch((e: unknown) => e);
    expect((capped as CoreError).code).toBe('archive-invalid');
    const cut = await zstdDecodeAllFrom(chunked(z.subarray(0, z.length - 40), 1 << 16), { maxBytes: data.length, what: 'cut' }).catch((e: unknown) => e);
    expect((cut as CoreError).code).toBe('compression-corrupt');
    expect((cut as Error).message).toMatch(/truncated/);
    const none = await zstdDecodeAllFrom(chunked(new Uint8Array(0), 1), { maxBytes: 10, what: 'none' }).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/empty input/);
  });

  it('truncated, corrupt and non-zstd input are compression-corrupt, with zstd’s reason', () => {
    const z = zstd(payload(200_000));
    const fail = (b: Uint8Array) => { try { zstdDecodeAll(b, { maxBytes: 1 << 24, what: 'x' }); } catch (e) { return e as CoreError; } throw new Error('decoded'); };
    expect(fail(z.subarray(0, z.length - 40)).message).toMatch(/truncated/);
    const bad = z.slice();
    for (let i = 30; i < 80; i++) bad[i] ^= 0xa5;
    expect(fail(bad).code).toBe('compression-corrupt');
    expect(fail(new TextEncoder().encode('not zstd at all')).message).toMatch(/unknown frame descriptor/);
    expect(fail(new Uint8Array(0)).message).toMatch(/empty input/);
  });

  it('loads while the global fetch is one that cannot fetch data: URLs (a page routing fetch through its proxy)', async () => {
    vi.resetModules();
    const real = globalThis.fetch;
    globalThis.fetch = (() => Promise.reject(new TypeError('cannot proxy data: URLs'))) as typeof fetch;
    try {
      const fresh = await import('./zstd-wasm');
      await fresh.loadZstdWasm();
      const data = payload(50_000, 3);
      expect(sha(fresh.zstdDecodeAll(zstd(data), { maxBytes: data.length, what: 'x' }))).toBe(sha(data));
    } finally {
      globalThis.fetch = real;
    }
  });

  it('zstdDecodeAny without the wasm decoder (fzstd) stops a bomb at the cap and decodes the rest', async () => {
    vi.resetModules();
    const fresh = await import('./zstd-wasm'); // a module instance whose wasm was never loaded
    const data = payload(300_000, 5);
    const z = new Uint8Array([...zstd(data.subarray(0, 1000)), ...zstd(data.subarray(1000))]);
    expect(sha(fresh.zstdDecodeAny(z, { maxBytes: data.length, what: 'x' }))).toBe(sha(data));
    const bomb = zstd(new Uint8Array(256 << 20));
    const e = (() => { try { fresh.zstdDecodeAny(bomb, { maxBytes: 1 << 20, what: 'bomb' }); } catch (x) { return x; } })();
    expect((e as CoreError).code).toBe('archive-invalid');
    expect((e as Error).message).toMatch(/bomb expands past 1048576 bytes/);
    expect(() => fresh.zstdDecodeAny(z.subarray(0, z.length - 30), { maxBytes: data.length, what: 'x' })).toThrow(/not valid zstd data/);
  });

  it('keeps its memory small: decoding 96 MiB does not grow the wasm heap by the output size', () => {
    const z = zstd(payload(96 << 20, 7), ['-1']);
    const d = new ZstdWasmDecoder();
    let n = 0;
    d.push(z, (v) => { n += v.byteLength; });
    d.end();
    expect(n).toBe(96 << 20);
    // the output went out through a 1 MiB window: the heap holds windows and the decoding context only
    expect(zstdWasmMemoryBytes()).toBeGreaterThan(0);
    expect(zstdWasmMemoryBytes()).toBeLessThan(24 << 20);
  });
});

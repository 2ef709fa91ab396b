import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { CoreError } from '../errors';
import { decompressStream, detectCompression, gzipStream, sniffStream, useGunzipEngine, useZstdEngine } from './index';
import { useNodeGunzip } from './gunzip.node.js';

/** A stream over bytes in chunks of `chunk` bytes (1 = the worst case for decoders). */
function streamOf(bytes: Uint8Array, chunk = 65536): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) { c.close(); return; }
      c.enqueue(bytes.slice(o, o + chunk));
      o += chunk;
    },
  });
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const cli = (cmd: string, args: string[], input: Uint8Array): Uint8Array =>
  new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 1 << 28 }));

/** Pseudo-random but compressible bytes, deterministic. */
function payload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = (x >>> 24) % 16 + 97; }
  return out;
}

describe.skipIf(!haveFixtures)('containers-image Hello fixtures', () => {
  const dir = 'containers-image/pkg/compression/fixtures/';
  const hello = new TextEncoder().encode('Hello');
  it('detects each format by its magic bytes', () => {
    const got = ['gz', 'bz2', 'xz', 'zst', 'uncompressed'].map((e) => detectCompression(readFileSync(fixture(dir + 'Hello.' + e))));
    expect(got).toEqual(['gzip', 'bzip2', 'xz', 'zstd', 'none']);
  });
  for (const [ext, comp] of [['gz', 'gzip'], ['zst', 'zstd'], ['bz2', 'bzip2'], ['uncompressed', 'none']] as const) {
    for (const chunk of [1, 65536]) {
      it(`decodes Hello.${ext} in ${chunk}-byte chunks via sniffStream`, async () => {
        const sn = await sniffStream(streamOf(readFileSync(fixture(dir + 'Hello.' + ext)), chunk));
        expect(sn.compression).toBe(comp);
        expect(await collect(decompressStream(sn.stream, sn.compression))).toEqual(hello);
      });
    }
  }
  for (const ext of ['xz']) {
    it(`refuses Hello.${ext} with unsupported-compression`, () => {
      const b = readFileSync(fixture(dir + 'Hello.' + ext));
      expect(() => decompressStream(streamOf(b), detectCompression(b))).toThrow(expect.objectContaining({ code: 'unsupported-compression' }));
    });
  }
  it('decodes ggcr content.tar.zst to content.tar (sha256 equal to the zstd CLI output)', async () => {
    const zst = readFileSync(fixture('go-containerregistry/pkg/crane/testdata/content.tar.zst'));
    const expected = cli('zstd', ['-dc'], zst);
    for (const chunk of [1, 4096]) {
      const out = await collect(decompressStream(streamOf(zst, chunk), 'zstd'));
      expect(sha(out)).toBe(sha(expected));
    }
  });
});

describe('gzip', () => {
  const data = payload(300_000);
  // native: the runtime's DecompressionStream; fflate; zlib: the engine the CLI installs (gunzip.node.ts)
  for (const mode of ['native', 'fflate', 'zlib'] as const) {
    const native = mode === 'native' ? true : mode === 'fflate' ? false : undefined;
    const engine = async <T>(f: () => Promise<T>): Promise<T> => {
      if (mode === 'zlib') useNodeGunzip();
      try { return await f(); } finally { useGunzipEngine(undefined); }
    };
    it(`decodes multi-member gzip (${mode}) in 1-byte and large chunks`, () => engine(async () => {
      const multi = new Uint8Array([...cli('gzip', ['-c'], data.slice(0, 1000)), ...cli('gzip', ['-c'], data.slice(1000))]);
      for (const chunk of [1, 65536]) {
        if (chunk === 1 && mode !== 'fflate') continue; // 1-byte chunks below cover fflate; native is tested on 7-byte chunks
        const out = await collect(decompressStream(streamOf(multi, chunk), 'gzip', { native }));
        expect(sha(out)).toBe(sha(data));
      }
      const out7 = await collect(decompressStream(streamOf(multi, 7), 'gzip', { native }));
      expect(out7.length).toBe(data.length);
    }));
    it(`corrupt gzip → compression-corrupt (${mode})`, () => engine(async () => {
      const gz = cli('gzip', ['-c'], data);
      const bad = gz.slice();
      for (let i = 100; i < 200; i++) bad[i] ^= 0x5a;
      const err = await collect(decompressStream(streamOf(bad), 'gzip', { native, what: 'layer X' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('compression-corrupt');
      expect((err as CoreError).message).toContain('layer X');
    }));
    it(`truncated gzip → compression-corrupt (${mode})`, () => engine(async () => {
      const gz = cli('gzip', ['-c'], data);
      for (const cut of [3, 100]) {
        for (const chunk of [1000, 65536]) {
          const err = await collect(decompressStream(streamOf(gz.slice(0, gz.length - cut), chunk), 'gzip', { native })).catch((e: unknown) => e);
          expect((err as CoreError).code).toBe('compression-corrupt');
        }
      }
    }));
    it(`a bad CRC in the first member of two → compression-corrupt (${mode})`, () => engine(async () => {
      const first = cli('gzip', ['-c'], data.slice(0, 1000));
      first[first.length - 8] ^= 1;
      const multi = new Uint8Array([...first, ...cli('gzip', ['-c'], data.slice(1000))]);
      const err = await collect(decompressStream(streamOf(multi, 999), 'gzip', { native })).catch((e: unknown) => e);
      expect((err as CoreError).code).toBe('compression-corrupt');
    }));
  }
  it('with reopen (native, fflate fallback): multi-member decodes, corruption still fails', async () => {
    const multi = new Uint8Array([...cli('gzip', ['-c'], data.slice(0, 1000)), ...cli('gzip', ['-c'], data.slice(1000))]);
    const out = await collect(decompressStream(streamOf(multi, 4096), 'gzip', { reopen: () => streamOf(multi, 4096) }));
    expect(sha(out)).toBe(sha(data));
    const bad = multi.slice();
    for (let i = 3000; i < 3100; i++) bad[i] ^= 0x5a;
    let reopened = 0;
    const err = await collect(decompressStream(streamOf(bad), 'gzip', { reopen: () => { reopened++; return streamOf(bad); } })).catch((e: unknown) => e);
    expect((err as CoreError).code).toBe('compression-corrupt');
    expect(reopened).toBe(1);
  });
  it('gzipStream is deterministic across chunk sizes and gunzip reads it back', async () => {
    const a = await collect(gzipStream(streamOf(data, 1000)));
    const b = await collect(gzipStream(streamOf(data, 65536)));
    expect(sha(a)).toBe(sha(b));
    expect([...a.slice(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]); // no name, mtime 0, OS Unix
    expect(sha(cli('gzip', ['-dc'], a))).toBe(sha(data));
  });
});

// WebAssembly zstd (the default), and the fzstd fallback (where wasm cannot run)
describe.each(['wasm', 'fzstd'] as const)('zstd (%s)', (mode) => {
  const data = payload(200_000);
  beforeAll(() => {
    if (mode !== 'fzstd') return;
    useZstdEngine('fzstd');
  });
  afterAll(() => useZstdEngine(undefined));
  it('decodes several frames and skippable frames, 1-byte chunks', async () => {
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const z = new Uint8Array([...skippable, ...cli('zstd', ['-c', '-q'], data.slice(0, 5000)), ...skippable, ...cli('zstd', ['-c', '-q'], data.slice(5000))]);
    expect(detectCompression(z)).toBe('zstd');
    for (const chunk of [1, 65536]) {
      const out = await collect(decompressStream(streamOf(z, chunk), 'zstd'));
      expect(sha(out)).toBe(sha(data));
    }
  });
  it('truncated and corrupt zstd → compression-corrupt', async () => {
    const z = cli('zstd', ['-c', '-q'], data);
    const trunc = await collect(decompressStream(streamOf(z.slice(0, z.length - 50)), 'zstd')).catch((e: unknown) => e);
    expect((trunc as CoreError).code).toBe('compression-corrupt');
    const bad = z.slice();
    for (let i = 20; i < 60; i++) bad[i] ^= 0xff;
    const corrupt = await collect(decompressStream(streamOf(bad), 'zstd')).catch((e: unknown) => e);
    expect((corrupt as CoreError).code).toBe('compression-corrupt');
  });
});

describe('sniffStream', () => {
  it('keeps every byte when the first chunks are shorter than the magic', async () => {
    const gz = cli('gzip', ['-c'], payload(1000));
    const sn = await sniffStream(streamOf(gz, 1));
    expect(sn.compression).toBe('gzip');
    expect(await collect(sn.stream)).toEqual(gz);
  });
  it('handles an empty stream', async () => {
    const sn = await sniffStream(streamOf(new Uint8Array(0)));
    expect(sn.compression).toBe('none');
    expect((await collect(sn.stream)).length).toBe(0);
  });
});

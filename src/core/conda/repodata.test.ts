/**
 * Channels and repodata on real fixture channels served over HTTP on 127.0.0.1: conda's conda_format_repo
 * (flat and CEP-16 sharded), rattler's test-server repo (.json and .json.bz2), conda's test-recipes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '@msgpack/msgpack';
import { decompress } from 'fzstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { serveFolder, type FolderServer } from '../../test-support/serve-folder';
import { channelSubdirs, resolveChannel, subdirUrl } from './channel';
import { loadRepodata, parseRepodata } from './repodata';
import { cachingFetch, type CachedResponse } from './repodata-cache';
import { normalizeShard, rawZstdFrame } from './repodata-shard';
import { folderRepodataStore } from './repodata-store.node.js';

describe('resolveChannel', () => {
  it('names go under the default base (configurable), URLs stay, file:// and junk are refused', () => {
    expect(resolveChannel('conda-forge')).toEqual({ name: 'conda-forge', url: 'https://conda.anaconda.org/conda-forge/' });
    expect(resolveChannel('bioconda', 'https://mirror.example/conda')).toEqual({ name: 'bioconda', url: 'https://mirror.example/conda/bioconda/' });
    expect(resolveChannel('http://127.0.0.1:8000/local/').url).toBe('http://127.0.0.1:8000/local/');
    expect(resolveChannel('file:///srv/chan')).toEqual({ name: 'file:///srv/chan', url: 'file:///srv/chan/' });
    expect(() => resolveChannel('file://host/srv/chan')).toThrow(/file:\/\/\/absolute/);
    expect(() => resolveChannel('ftp://x/y')).toThrow(/http/);
    expect(() => resolveChannel('a b')).toThrow(/not a channel/);
    expect(() => resolveChannel('../etc')).toThrow(/not a channel/);
    expect(channelSubdirs('linux-64')).toEqual(['linux-64', 'noarch']);
    expect(subdirUrl(resolveChannel('conda-forge'), 'noarch', 'repodata.json')).toBe('https://conda.anaconda.org/conda-forge/noarch/repodata.json');
  });

  it('parseRepodata: .conda wins over the .tar.bz2 of the same build; base_url is honoured', () => {
    const rec = { name: 'a', version: '1', build: '0', depends: ['b >=1'], sha256: 'ab'.repeat(32) };
    const r = parseRepodata({ info: { base_url: 'https://files.example/pkgs/' }, packages: { 'a-1-0.tar.bz2': rec, 'a-0.9-0.tar.bz2': { ...rec, version: '0.9' } }, 'packages.conda': { 'a-1-0.conda': rec } }, 'https://c.example/ch/', 'linux-64');
    expect(r.map((x) => x.url)).toEqual(['https://files.example/pkgs/a-0.9-0.tar.bz2', 'https://files.example/pkgs/a-1-0.conda']);
    expect(r[1]).toMatchObject({ channel: 'https://c.example/ch/', subdir: 'linux-64', depends: ['b >=1'], buildNumber: 0 });
    expect(() => parseRepodata({ packages: { x: { name: 'x' } } }, 'https://c/', 'noarch')).toThrow(/lacks name/);
  });
});

describe('rawZstdFrame', () => {
  it('frames any length (empty, one block, several) so fzstd and the zstd tool read it back', () => {
    for (const n of [0, 5, 128 * 1024, 300_000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff);
      const frame = rawZstdFrame(data);
      expect(Buffer.from(decompress(frame)).equals(data)).toBe(true);
      expect(execFileSync('zstd', ['-dc'], { input: frame }).equals(data)).toBe(true);
    }
  });
});

describe.skipIf(!haveFixtures)('repodata over HTTP', () => {
  let srv: FolderServer;
  beforeAll(async () => {
    srv = await serveFolder(fixture('.'));
  });
  afterAll(() => srv.close());
  const ch = (rel: string) => resolveChannel(`${srv.base}/${rel}`);

  it('sharded CEP-16 and flat repodata of conda_format_repo give the same records', async () => {
    const flat = await loadRepodata(ch('conda/tests/data/conda_format_repo'), 'linux-64');
    const sharded = await loadRepodata(ch('conda/tests/data/conda_format_repo'), 'linux-64', { names: ['zlib'] });
    expect(flat.format).toBe('json');
    expect(sharded.format).toBe('sharded');
    expect(flat.records.map((r) => r.fn)).toEqual(['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2', 'zlib-1.2.11-h7b6447c_3.conda']);
    // zlib's shard led to libgcc-ng's through its dependency; binary sha256/md5 became hex
    expect(sharded.records).toEqual(flat.records);
    expect(srv.log.filter((p) => p.endsWith('.msgpack.zst')).length).toBe(3);
  });

  it('a shard that does not hash to its name is refused', async () => {
    const bad = await serveFolder(fixture('conda/tests/data/conda_format_repo'), {
      '/linux-64/56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157.msgpack.zst': new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0]),
    });
    try {
      await expect(loadRepodata(resolveChannel(bad.base), 'linux-64', { names: ['zlib'] })).rejects.toMatchObject({ code: 'digest-mismatch' });
    } finally { await bad.close(); }
  });

  it('.json.bz2 and .json of rattler\'s test-server agree; a folder with none is a clear error', async () => {
    const bz = await loadRepodata(ch('rattler/test-data/test-server/repo'), 'noarch');
    // the same folder without its .json.bz2 (a 404): the loader falls back to .json
    const noBz: typeof fetch = (url, init) => String(url).endsWith('.json.bz2') ? Promise.resolve(new Response('', { status: 404 })) : fetch(url, init);
    const plain = await loadRepodata(ch('rattler/test-data/test-server/repo'), 'noarch', { fetch: noBz });
    expect(bz.format).toBe('json.bz2');
    expect(plain.format).toBe('json');
    expect(bz.records).toEqual(plain.records);
    expect(bz.records[0]).toMatchObject({ name: 'test-package', sha256: 'b908ffce2d26d94c58c968abf286568d4bcf87d1cfe6c994958351724a6f6988' });
    await expect(loadRepodata(ch('rattler/test-data/test-server/repo'), 'linux-64')).rejects.toMatchObject({ code: 'repodata-invalid' });
  });

  it('test-recipes: every record parsed', async () => {
    const r = await loadRepodata(ch('conda/tests/data/test-recipes'), 'noarch');
    expect(r.records.length).toBe(32);
    expect(r.records.every((x) => x.fn.endsWith('.conda') && /^[0-9a-f]{64}$/.test(x.sha256 ?? ''))).toBe(true);
  });

  it('cachingFetch: metadata served from memory or the store, shards verified, other requests pass through', async () => {
    const kept = new Map<string, CachedResponse>();
    const store = { get: async (k: string) => kept.get(k), put: async (k: string, v: CachedResponse) => { kept.set(k, v); } };
    // the project's own loader reads hex hashes itself and verifies shards: it wants them as fetched
    const f = cachingFetch(fetch, { store, normalizeShards: false });
    const chan = ch('conda/tests/data/conda_format_repo');
    const first = await loadRepodata(chan, 'linux-64', { fetch: f, names: ['zlib'] });
    const before = srv.log.length;
    const again = await loadRepodata(chan, 'linux-64', { fetch: f, names: ['zlib'] });
    expect(again).toEqual(first);
    expect(srv.log.length).toBe(before); // no network the second time
    expect(f.stats).toEqual({ hits: 3, misses: 3 });
    // a new wrapper over the same store needs no network either; synthetic responses carry their URL
    const f2 = cachingFetch(() => Promise.reject(new Error('offline')), { store, normalizeShards: false });
    const res = await f2(subdirUrl(chan, 'linux-64', 'repodata_shards.msgpack.zst'));
    expect(res.url).toBe(subdirUrl(chan, 'linux-64', 'repodata_shards.msgpack.zst'));
    expect(res.status).toBe(200);
    // for the solver (the default), a conda-written shard comes out with bytes for hashes, re-framed
    const shardUrl = subdirUrl(chan, 'linux-64', '56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157.msgpack.zst');
    const asFetched = new Uint8Array(await (await f2(shardUrl)).arrayBuffer());
    const normalized = new Uint8Array(await (await cachingFetch(() => Promise.reject(new Error('offline')), { store })(shardUrl)).arrayBuffer());
    const rec = (b: Uint8Array) => (decode(decompress(b)) as { 'packages.conda': Record<string, { sha256: unknown; md5: unknown }> })['packages.conda']['zlib-1.2.11-h7b6447c_3.conda'];
    expect(rec(asFetched).sha256).toBe('f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b');
    expect(rec(normalized).sha256).toEqual(Uint8Array.from(Buffer.from('f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b', 'hex')));
    expect(normalizeShard(normalized, shardUrl)).toBe(normalized); // already normal: unchanged
    expect(() => normalizeShard(new Uint8Array([1, 2, 3]), shardUrl)).toThrow(/not a zstd-compressed msgpack shard/);
    // 404s are cached; packages are not metadata and pass through
    expect((await f(subdirUrl(chan, 'linux-64', 'repodata.json.zst'))).status).toBe(404);
    const n = srv.log.length;
    expect((await f(subdirUrl(chan, 'linux-64', 'repodata.json.zst'))).status).toBe(404);
    expect(srv.log.length).toBe(n);
    await (await f(subdirUrl(chan, 'linux-64', 'zlib-1.2.11-h7b6447c_3.conda'))).arrayBuffer();
    await (await f(subdirUrl(chan, 'linux-64', 'zlib-1.2.11-h7b6447c_3.conda'))).arrayBuffer();
    expect(srv.log.slice(n).filter((p) => p.endsWith('.conda')).length).toBe(2);
    // a folder store keeps it across runs: a new wrapper over the same folder needs no network
    const dir = mkdtempSync(join(tmpdir(), 'repodata-'));
    try {
      await loadRepodata(chan, 'linux-64', { fetch: cachingFetch(fetch, { store: folderRepodataStore(dir), normalizeShards: false }), names: ['zlib'] });
      const offline = cachingFetch(() => Promise.reject(new Error('offline')), { store: folderRepodataStore(dir), normalizeShards: false });
      expect(await loadRepodata(chan, 'linux-64', { fetch: offline, names: ['zlib'] })).toEqual(first);
      expect(await folderRepodataStore(dir).get('http://elsewhere/')).toBeUndefined();
    } finally { rmSync(dir, { recursive: true, force: true }); }
    // stale flat repodata is fetched again; shards never go stale
    let t = 0;
    const timed = cachingFetch(fetch, { now: () => t, maxAgeMs: 1000 });
    await timed(subdirUrl(chan, 'linux-64', 'repodata.json'));
    t = 2000;
    await timed(subdirUrl(chan, 'linux-64', 'repodata.json'));
    expect(timed.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('cachingFetch: a reader gets its own copy of the cached bytes; a store that fails to write does not fail the fetch', async () => {
    const broken = { get: async () => undefined, put: () => Promise.reject(new Error('quota exceeded')) };
    const f = cachingFetch(fetch, { store: broken });
    const url = subdirUrl(ch('conda/tests/data/conda_format_repo'), 'linux-64', 'repodata.json');
    const first = new Uint8Array(await (await f(url)).arrayBuffer());
    const reader = (await f(url)).body!.getReader();
    const { value } = await reader.read();
    value!.fill(0); // a reader that changes what it was given
    expect(new Uint8Array(await (await f(url)).arrayBuffer())).toEqual(first);
    expect(f.stats).toEqual({ hits: 2, misses: 1 });
  });
});

describe('zstd bombs in channel metadata', () => {
  it('a shard that expands past 64 MiB is refused at the bound (100 MiB of zeros in a few KiB)', async () => {
    const { loadZstdWasm } = await import('../compress/zstd-wasm');
    await loadZstdWasm();
    const bomb = new Uint8Array(execFileSync('zstd', ['-c', '-q', '-19'], { input: new Uint8Array(100 << 20), maxBuffer: 1 << 30 }));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const url = 'https://conda.example/linux-64/shards/x.msgpack.zst';
    const e = (() => { try { normalizeShard(bomb, url); } catch (x) { return x as Error & { code?: string; cause?: Error }; } })();
    expect(e?.code).toBe('repodata-invalid');
    expect(e?.cause?.message).toMatch(/expands past 67108864 bytes/);
  });
});

describe('a damaged repodata cache entry', () => {
  it('is a miss (fetched again and written over), not an error', async () => {
    const { writeFileSync, readdirSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'repodata-damaged-'));
    try {
      const store = folderRepodataStore(dir);
      const url = 'https://conda.example/x/linux-64/repodata.json';
      await store.put(url, { status: 200, body: new TextEncoder().encode('{}'), fetchedAt: 1 });
      expect((await store.get(url))?.status).toBe(200);
      const [file] = readdirSync(dir);
      for (const bad of [new Uint8Array([0, 0, 0, 9, 123, 34, 107]), new Uint8Array([1, 2]), new Uint8Array([0, 0, 0, 2, 110, 117, 108, 108])]) {
        writeFileSync(join(dir, file), bad);
        expect(await store.get(url)).toBeUndefined();
      }
      await store.put(url, { status: 404, body: new Uint8Array(0), fetchedAt: 2 });
      expect((await store.get(url))?.status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

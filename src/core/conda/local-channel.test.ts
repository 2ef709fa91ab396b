/**
 * Local channels in Node: real fixture channels read from their folders (`./relative`, `/abs`, `file:///abs`)
 * by the real solver, through the caching fetch builds use, and their packages verified against the repodata
 * sha256 as downloaded ones are. A channel that cannot be read names itself and why.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryBlobStore } from '../cache';
import { solve } from '../solver';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { folderChannel, localChannelUrl } from './channel-folder.node';
import { fetchPackages } from './fetch';
import { localChannelFetch } from './local-channel';
import { cachingFetch, type RepodataStore, type CachedResponse } from './repodata-cache';

const DUMMY = 'pixi/tests/data/channels/channels/dummy_channel_1';
const fileUrl = (p: string) => pathToFileURL(p).href.replace(/\/*$/, '/');
const sha = async (b: Blob) => Buffer.from(await crypto.subtle.digest('SHA-256', await b.arrayBuffer())).toString('hex');
const fetchFor = (...channels: string[]) => localChannelFetch(channels.map((c) => folderChannel(c)), () => Promise.reject(new Error('no network in this test')));

describe('local channel URLs', () => {
  it('paths become file:/// URLs (relative ones against the working folder); names and http(s) stay', () => {
    expect(localChannelUrl('./chan', '/srv/project')).toBe('file:///srv/project/chan/');
    expect(localChannelUrl('../chan/', '/srv/project')).toBe('file:///srv/chan/');
    expect(localChannelUrl('/srv/my channel')).toBe('file:///srv/my%20channel/');
    expect(localChannelUrl('file:///srv/chan')).toBe('file:///srv/chan/');
    expect(localChannelUrl('conda-forge')).toBe('conda-forge');
    expect(localChannelUrl('conda-forge/label/dev')).toBe('conda-forge/label/dev');
    expect(localChannelUrl('https://example.org/chan')).toBe('https://example.org/chan');
    expect(() => localChannelUrl('file://host/srv/chan')).toThrow(/file:\/\/\/absolute/);
  });
});

describe.skipIf(!haveFixtures)('solving and fetching from a channel folder', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'local-channel-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const spelling of ['relative', 'absolute', 'file://'] as const) {
    it(`-c as a ${spelling} path: solved, records keep the file:/// URL, packages verified`, async () => {
      const abs = fixture(DUMMY);
      const given = spelling === 'relative' ? `./${relative(process.cwd(), abs)}` : spelling === 'absolute' ? abs : fileUrl(abs);
      const url = localChannelUrl(given);
      expect(url).toBe(fileUrl(abs));
      const stored = new Map<string, CachedResponse>();
      const store: RepodataStore = { get: async (k) => stored.get(k), put: async (k, v) => { stored.set(k, v); } };
      const net = fetchFor(given);
      const r = await solve({ specs: ['dummy-a'], channels: [url], subdir: 'linux-64', fetch: cachingFetch(net, { store }) });
      expect(r.map((p) => p.fn)).toEqual(['dummy-a-0.1.0-hb0f4dca_0.conda', 'dummy-c-0.1.0-hb0f4dca_0.conda']);
      expect(r[0]).toMatchObject({ url: `${url}linux-64/dummy-a-0.1.0-hb0f4dca_0.conda`, channel: url, subdir: 'linux-64' });
      expect(stored.size).toBe(0); // a folder's repodata is never cached: it changes under the cache
      const blobs = await fetchPackages(r.map((p) => ({ fn: p.fn, url: p.url, sha256: p.sha256!, size: p.size })), { store: memoryBlobStore(), fetch: net });
      for (const p of r) expect(await sha(blobs.get(p.fn)!)).toBe(p.sha256);
    });
  }

  it('a CEP-16 sharded channel with hex hashes (conda\'s own writer) solves from its folder', async () => {
    const url = localChannelUrl(fixture('conda/tests/data/conda_format_repo'));
    const r = await solve({ specs: ['zlib'], channels: [url], subdir: 'linux-64', fetch: cachingFetch(fetchFor(url)) });
    expect(r.map((p) => p.name)).toEqual(['libgcc-ng', 'zlib']);
    expect(r.find((p) => p.name === 'zlib')!.url).toMatch(new RegExp(`^${url}linux-64/zlib-1\\.2\\.11-.*\\.conda$`));
  });

  it('a package whose bytes do not match the repodata sha256 is refused, named with its file:/// URL', async () => {
    const chan = join(tmp, 'tampered');
    cpSync(fixture(DUMMY), chan, { recursive: true });
    const pkg = join(chan, 'linux-64', 'dummy-c-0.1.0-hb0f4dca_0.conda');
    const bytes = readFileSync(pkg);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(pkg, bytes);
    const net = fetchFor(chan);
    const r = await solve({ specs: ['dummy-c'], channels: [localChannelUrl(chan)], subdir: 'linux-64', fetch: net });
    const store = memoryBlobStore();
    await expect(fetchPackages(r.map((p) => ({ fn: p.fn, url: p.url, sha256: p.sha256!, size: p.size })), { store, fetch: net }))
      .rejects.toMatchObject({ code: 'digest-mismatch', message: expect.stringContaining(`${localChannelUrl(chan)}linux-64/dummy-c-0.1.0-hb0f4dca_0.conda`) });
    expect(store.size).toBe(0);
  });

  it('a channel that cannot be read names itself and why', async () => {
    const missing = join(tmp, 'no-such-channel');
    await expect(solve({ specs: ['x'], channels: [localChannelUrl(missing)], subdir: 'linux-64', fetch: fetchFor(missing) }))
      .rejects.toMatchObject({ code: 'channel-unreadable', message: `cannot solve x: channel ${localChannelUrl(missing)}: there is no folder ${missing}` });
    const notAChannel = join(tmp, 'not-a-channel');
    mkdirSync(join(notAChannel, 'noarch'), { recursive: true });
    await expect(solve({ specs: ['x'], channels: [localChannelUrl(notAChannel)], subdir: 'linux-64', fetch: fetchFor(notAChannel) }))
      .rejects.toMatchObject({ code: 'channel-unreadable', message: expect.stringMatching(/channel file:\/\/\/.*not-a-channel\/: neither linux-64\/ nor noarch\/ holds repodata/) });
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    await expect(solve({ specs: ['x'], channels: [localChannelUrl(file)], subdir: 'linux-64', fetch: fetchFor(file) }))
      .rejects.toMatchObject({ code: 'channel-unreadable', message: expect.stringMatching(/a-file\/: .*a-file is not a folder/) });
    // a package the repodata lists but the folder lacks
    await expect(fetchPackages([{ fn: 'gone-1-0.conda', url: `${localChannelUrl(fixture(DUMMY))}linux-64/gone-1-0.conda`, sha256: 'a'.repeat(64) }], { store: memoryBlobStore(), fetch: fetchFor(fixture(DUMMY)) }))
      .rejects.toMatchObject({ message: expect.stringMatching(/linux-64\/gone-1-0\.conda is not in the folder/) });
  });
});

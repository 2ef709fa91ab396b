/** fetchPackages against a real HTTP server on loopback serving a real fixture channel. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { serveFolder, type FolderServer } from '../../test-support/serve-folder';
import { isStorageFull, memoryBlobStore, overflowBlobStore, type BlobStore } from '../cache';
import { folderBlobStore } from '../cache/blob-store.node.js';
import { fetchPackages, type FetchProgress, type PackageToFetch } from './fetch';

const CHANNEL = 'conda/tests/data/conda_format_repo';

describe.skipIf(!haveFixtures)('fetchPackages', () => {
  let server: FolderServer;
  let base: string;
  /** bodies served instead of the fixture's (tampered packages) */
  const extra: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    server = await serveFolder(fixture(CHANNEL), extra);
    base = server.base;
  });
  afterAll(async () => { await server.close(); });

  const records = (): PackageToFetch[] => {
    const repodata = JSON.parse(readFileSync(fixture(`${CHANNEL}/linux-64/repodata.json`), 'utf8'));
    return Object.entries({ ...repodata.packages, ...repodata['packages.conda'] } as Record<string, { sha256: string; size: number }>)
      // the channel's repodata also lists packages the fixture does not ship (libgcc-ng…)
      .filter(([fn]) => existsSync(fixture(`${CHANNEL}/linux-64/${fn}`)))
      .map(([fn, r]) => ({ fn, url: `${base}/linux-64/${fn}`, sha256: r.sha256, size: r.size }));
  };

  it('downloads every package verified, in parallel, then serves them from the store without the network', async () => {
    const store = memoryBlobStore();
    const progress: FetchProgress[] = [];
    const pkgs = records();
    expect(pkgs.length).toBeGreaterThanOrEqual(2);
    const got = await fetchPackages(pkgs, { store, onProgress: (p) => progress.push(p) });
    expect([...got.keys()].sort()).toEqual(pkgs.map((p) => p.fn).sort());
    for (const p of pkgs) expect(got.get(p.fn)!.size).toBe(p.size);
    expect(progress.filter((p) => p.done && !p.cached)).toHaveLength(pkgs.length);
    const before = server.log.length;
    const again = await fetchPackages(pkgs, { store, fetch: () => { throw new Error('must not download'); } });
    expect(again.size).toBe(pkgs.length);
    expect(server.log.length).toBe(before);
  });

  it('gives the md5 of the packages asked for, downloaded or read from the store, as conda computes it over the file', async () => {
    const store = memoryBlobStore();
    const pkgs = records();
    const want = new Set([pkgs[0].fn]);
    const expected = createHash('md5').update(readFileSync(fixture(`${CHANNEL}/linux-64/${pkgs[0].fn}`))).digest('hex');
    for (const fetch of [undefined, () => { throw new Error('must not download'); }]) {
      const seen = new Map<string, string>();
      await fetchPackages(pkgs, { store, ...(fetch ? { fetch } : {}), md5: { of: want, onMd5: (fn, hex) => seen.set(fn, hex) } });
      expect([...seen]).toEqual([[pkgs[0].fn, expected]]);
    }
  });

  it('a stored package whose bytes changed on disk is downloaded again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-corrupt-'));
    try {
      const store = folderBlobStore(dir);
      const [p] = records();
      await fetchPackages([p], { store });
      const path = join(dir, 'sha256', p.sha256);
      const bytes = readFileSync(path);
      bytes[0] ^= 0xff;
      writeFileSync(path, bytes);
      const before = server.log.length;
      const progress: FetchProgress[] = [];
      const got = await fetchPackages([p], { store, onProgress: (e) => progress.push(e) });
      expect(server.log.length).toBe(before + 1);
      expect(progress.filter((e) => e.done && !e.cached)).toHaveLength(1);
      expect(Buffer.from(await got.get(p.fn)!.arrayBuffer()).equals(readFileSync(fixture(`${CHANNEL}/linux-64/${p.fn}`)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a store that becomes full mid-way: the package is fetched again into the fallback, the rest follow it', async () => {
    const full: BlobStore = { ...memoryBlobStore(), put: async (_d, s) => { await s.cancel(); throw new DOMException('quota', 'QuotaExceededError'); } };
    const fallback = memoryBlobStore();
    const warned: unknown[] = [];
    const pkgs = records();
    const got = await fetchPackages(pkgs, { store: overflowBlobStore(full, fallback, (e) => warned.push(e)), concurrency: 1 });
    expect(got.size).toBe(pkgs.length);
    expect(fallback.size).toBe(pkgs.length);
    expect(warned).toHaveLength(1);
    expect(isStorageFull(warned[0])).toBe(true);
  });

  it('refuses a package whose bytes do not match repodata and caches nothing of it', async () => {
    const store = memoryBlobStore();
    const [p] = records();
    const body = readFileSync(fixture(`${CHANNEL}/linux-64/${p.fn}`));
    body[body.length - 1] ^= 1;
    extra[`/linux-64/${p.fn}`] = body;
    try {
      await expect(fetchPackages([p], { store })).rejects.toMatchObject({ code: 'digest-mismatch', message: expect.stringContaining(p.fn) });
      expect(store.size).toBe(0);
    } finally {
      delete extra[`/linux-64/${p.fn}`];
    }
    await expect(fetchPackages([{ ...p, url: `${base}/linux-64/absent.conda` }], { store })).rejects.toThrow(/HTTP 404/);
    await expect(fetchPackages([{ ...p, sha256: 'nope' }], { store })).rejects.toThrow(/no valid sha256/);
  });
});

/**
 * The rattler solve on complete fixture channels served over HTTP on 127.0.0.1 (no other network): conda's
 * test-recipes, conda_format_repo (flat and sharded), rattler's test-server repo, pixi's channels, and the
 * 5643-record defaults snapshot index4.json wrapped as repodata. Virtual packages come from fake bases whose
 * only content is a libc (glibc's version string or a musl loader).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachingFetch } from '../conda/repodata-cache';
import { emptyImage, appendLayers, layerFromFiles } from '../image';
import { virtualPackagesFor } from '../pipeline/virtual';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { serveFolder, type FolderServer } from '../../test-support/serve-folder';
import { readInstalledPackages } from './installed';
import { solve } from './rattler';

const names = (r: { name: string; version: string; build: string }[]) => r.map((p) => `${p.name}-${p.version}-${p.build}`);
const base = (files: Record<string, string>) => appendLayers(emptyImage(), [{ layer: layerFromFiles(files), history: { created_by: 'test' } }]);

describe.skipIf(!haveFixtures)('solving real channels over HTTP', () => {
  let srv: FolderServer;
  const extra: Record<string, string> = {};
  beforeAll(async () => {
    // index4.json is a bare map of records: split by subdir into two repodata.json files
    const index4 = JSON.parse(readFileSync(fixture('conda/tests/data/index4.json'), 'utf8')) as Record<string, { subdir: string }>;
    for (const sub of ['linux-64', 'noarch']) {
      const packages = Object.fromEntries(Object.entries(index4).filter(([, r]) => r.subdir === sub));
      extra[`/index4/${sub}/repodata.json`] = JSON.stringify({ info: { subdir: sub }, packages });
    }
    // test-recipes' fake platform folder, served as linux-64 (records unchanged but their subdir)
    const fake = readFileSync(fixture('conda/tests/data/test-recipes/linux-fake/repodata.json'), 'utf8');
    extra['/conda/tests/data/test-recipes/linux-64/repodata.json'] = fake.replaceAll('"linux-fake"', '"linux-64"');
    srv = await serveFolder(fixture('.'), extra);
  });
  afterAll(() => srv.close());
  const url = (rel: string) => `${srv.base}/${rel}`;

  it('conda test-recipes: dependencies, pins, and the base\'s installed packages kept', async () => {
    const recipes = url('conda/tests/data/test-recipes');
    expect(names(await solve({ specs: ['another_dependent'], channels: [recipes], subdir: 'linux-64' })))
      .toEqual(['another_dependent-2.0-0', 'dependency-2.0-0', 'dependent-2.0-0']);
    expect(names(await solve({ specs: ['buildstring=1.0=versioned_1'], channels: [recipes], subdir: 'linux-64' })))
      .toEqual(['buildstring-1.0-versioned_1', 'versioned-1.0-0']);
    // a base holding dependency 1.0 in /opt/conda: it stays, so dependent 1.0 is chosen and only it is added
    const meta = JSON.parse(readFileSync(fixture('conda/tests/data/test-recipes/noarch/repodata.json'), 'utf8'))['packages.conda']['dependency-1.0-0.conda'];
    const img = base({ 'opt/conda/conda-meta/dependency-1.0-0.json': JSON.stringify({ ...meta, fn: 'dependency-1.0-0.conda', url: `${recipes}/noarch/dependency-1.0-0.conda`, channel: recipes }) });
    const installed = await readInstalledPackages(img);
    expect(names(installed)).toEqual(['dependency-1.0-0']);
    expect(names(await solve({ specs: ['dependent'], channels: [recipes], subdir: 'linux-64', installed }))).toEqual(['dependent-1.0-0']);
  });

  it('virtual packages from a fake-glibc base decide; musl and scratch give no __glibc; overrides win', async () => {
    const glibc = base({ 'lib/x86_64-linux-gnu/libc.so.6': '\x7fELF....GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n', 'bin/sh': '' });
    const old = base({ 'usr/lib64/libc-2.17.so': '\x7fELF', 'lib64/libc.so.6': 'GLIBC_2.2.5 GLIBC_2.17' });
    const musl = base({ 'lib/ld-musl-x86_64.so.1': '\x7fELF', 'lib/libc.musl-x86_64.so.1': '\x7fELF' });
    const vp = await virtualPackagesFor(glibc);
    expect(vp).toEqual(expect.arrayContaining([{ name: '__glibc', version: '2.36' }, { name: '__unix', version: '0' }, { name: '__archspec', version: '1', build: 'x86_64' }]));
    expect(vp.find((v) => v.name === '__linux')).toBeDefined();
    expect((await virtualPackagesFor(old)).find((v) => v.name === '__glibc')?.version).toBe('2.17');
    expect((await virtualPackagesFor(musl)).find((v) => v.name === '__glibc')).toBeUndefined();
    expect((await virtualPackagesFor(emptyImage())).find((v) => v.name === '__glibc')).toBeUndefined();
    expect((await virtualPackagesFor(glibc, [{ name: '__glibc', version: '2.17' }])).find((v) => v.name === '__glibc')?.version).toBe('2.17');
    const recipes = url('conda/tests/data/test-recipes');
    expect(names(await solve({ specs: ['virtualdep-package'], channels: [recipes], subdir: 'linux-64', virtualPackages: vp }))).toEqual(['virtualdep-package-2.0-0']);
    expect(names(await solve({ specs: ['virtualdep-package'], channels: [recipes], subdir: 'linux-64', virtualPackages: await virtualPackagesFor(old) }))).toEqual(['virtualdep-package-1.0-0']);
    await expect(solve({ specs: ['virtualdep-package'], channels: [recipes], subdir: 'linux-64', virtualPackages: await virtualPackagesFor(musl) }))
      .rejects.toMatchObject({ code: 'solve-failed', message: expect.stringMatching(/__glibc/) });
  });

  it('conda_format_repo, sharded and flat, through the project\'s caching fetch', async () => {
    const chan = url('conda/tests/data/conda_format_repo');
    const shardsAsked = () => srv.log.filter((p) => /conda_format_repo\/linux-64\/[0-9a-f]{64}\.msgpack\.zst$/.test(p)).length;
    // conda's tooling wrote md5/sha256 in these shards as hex strings, where CEP-16 (and rattler) want bytes:
    // read raw, the solve fails with the solver's words and does not hang
    await expect(solve({ specs: ['zlib'], channels: [chan], subdir: 'linux-64', timeoutMs: 20_000 }))
      .rejects.toMatchObject({ code: 'solve-failed', message: expect.stringMatching(/expected a sequence/) });
    // the caching fetch verifies each shard against its name and hands it on with the hashes as bytes
    const sharded = cachingFetch(globalThis.fetch);
    const before = shardsAsked();
    const r = await solve({ specs: ['zlib'], channels: [chan], subdir: 'linux-64', fetch: sharded });
    expect(names(r)).toEqual(['libgcc-ng-8.2.0-hdf63c60_1', 'zlib-1.2.11-h7b6447c_3']);
    expect(r[1]).toMatchObject({ fn: 'zlib-1.2.11-h7b6447c_3.conda', sha256: 'f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b' });
    expect(shardsAsked() - before).toBe(2); // zlib's shard and, through its dependency, libgcc-ng's
    // without the shard index the solver reads the flat repodata.json, and gives the same records
    const real = globalThis.fetch;
    const f = cachingFetch((u, i) => (String(u instanceof Request ? u.url : u).endsWith('/repodata_shards.msgpack.zst') ? Promise.resolve(new Response(null, { status: 404 })) : real(u, i)));
    const flat = await solve({ specs: ['zlib'], channels: [chan], subdir: 'linux-64', fetch: f });
    expect(flat).toEqual(r);
    expect(globalThis.fetch).toBe(real); // restored after the solve
    const n = srv.log.length;
    expect(await solve({ specs: ['zlib'], channels: [chan], subdir: 'linux-64', fetch: f })).toEqual(r);
    expect(await solve({ specs: ['zlib'], channels: [chan], subdir: 'linux-64', fetch: sharded })).toEqual(r);
    expect(srv.log.length).toBe(n); // the second solves came from the caches: no request at all
    expect(f.stats.hits).toBeGreaterThanOrEqual(f.stats.misses);
  });

  it('rattler\'s test-server repo and pixi\'s channels', async () => {
    expect(names(await solve({ specs: ['test-package'], channels: [url('rattler/test-data/test-server/repo')], subdir: 'linux-64' }))).toEqual(['test-package-0.1-0']);
    const pixi = url('pixi/tests/data/channels/channels/dummy_channel_1');
    const r = await solve({ specs: ['dummy-g'], channels: [pixi], subdir: 'linux-64' });
    expect(r.length).toBeGreaterThan(1);
    expect(r.every((p) => p.url.startsWith(`${pixi}/`))).toBe(true);
  });

  it('python=3.6 numpy scipy pandas on index4.json', async () => {
    const t0 = performance.now();
    const r = await solve({ specs: ['python=3.6', 'numpy', 'scipy', 'pandas'], channels: [url('index4')], subdir: 'linux-64' });
    const ms = performance.now() - t0;
    console.log(`[solve] python=3.6 numpy scipy pandas on index4.json (5643 records): ${r.length} packages in ${ms.toFixed(0)} ms`);
    const by = new Map(r.map((p) => [p.name, p]));
    expect(by.get('python')?.version).toMatch(/^3\.6\./);
    for (const n of ['numpy', 'scipy', 'pandas', 'openssl', 'libgcc-ng']) expect(by.has(n)).toBe(true);
    // every dependency of every record is in the result
    for (const p of r) for (const d of p.depends) expect(by.has(d.split(/[\s=<>!~]/)[0])).toBe(true);
  }, 60_000);
});

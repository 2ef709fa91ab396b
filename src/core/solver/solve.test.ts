/**
 * The rattler solver on real fixture channels served over HTTP on loopback (no other network). The
 * virtual-package case uses a small channel written by the test; the solver itself is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { serveFolder, type FolderServer } from '../../test-support/serve-folder';
import { parseSpec } from './spec';
import { solve } from './rattler';

describe('parseSpec', () => {
  it('splits channel qualifiers off, keeps the rest', () => {
    expect(parseSpec('conda-forge::numpy>=2')).toEqual({ channel: 'conda-forge', spec: 'numpy>=2', name: 'numpy' });
    expect(parseSpec('conda-forge/linux-64::zlib')).toEqual({ channel: 'conda-forge', spec: 'zlib', name: 'zlib' });
    expect(parseSpec(' python=3.11 ')).toEqual({ spec: 'python=3.11', name: 'python' });
    expect(() => parseSpec('::numpy')).toThrow(/not a package spec/);
    expect(() => parseSpec('a::b::c')).toThrow(/more than one channel/);
    expect(() => parseSpec('>=2')).toThrow(/not a package spec/);
  });
});

describe.skipIf(!haveFixtures)('solve with rattler', () => {
  let server: FolderServer;
  let base: string;
  const served: Record<string, string> = {};
  beforeAll(async () => {
    served['/virt/linux-64/repodata.json'] = JSON.stringify({
      info: { subdir: 'linux-64' },
      packages: {
        'needs-glibc-1.0-0.tar.bz2': { name: 'needs-glibc', version: '1.0', build: '0', build_number: 0, depends: ['__glibc >=2.28'], subdir: 'linux-64', sha256: 'a'.repeat(64), size: 1 },
      },
    });
    served['/virt/noarch/repodata.json'] = JSON.stringify({ info: { subdir: 'noarch' }, packages: {} });
    server = await serveFolder(fixture('pixi/tests/data/channels/channels'), served);
    base = server.base;
  });
  afterAll(async () => { await server.close(); });

  it('solves a real channel into plain records with upstream URLs and hashes', async () => {
    const r = await solve({ specs: ['dummy-a'], channels: [`${base}/dummy_channel_1`], subdir: 'linux-64' });
    expect(r.map((p) => `${p.name}-${p.version}-${p.build}`)).toEqual(['dummy-a-0.1.0-hb0f4dca_0', 'dummy-c-0.1.0-hb0f4dca_0']);
    expect(r[0]).toMatchObject({ subdir: 'linux-64', channel: `${base}/dummy_channel_1/`, fn: 'dummy-a-0.1.0-hb0f4dca_0.conda', depends: ['dummy-c'] });
    expect(r[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain data: survives postMessage
  });

  it('a channel-qualified spec is parsed by the project and its channel searched', async () => {
    const r = await solve({ specs: [`${base}/dummy_channel_1::dummy-c`], channels: [], subdir: 'linux-64' });
    expect(r.map((p) => p.name)).toEqual(['dummy-c']);
  });

  it('virtual packages from the base decide what is installable', async () => {
    const ok = await solve({ specs: ['needs-glibc'], channels: [`${base}/virt`], subdir: 'linux-64', virtualPackages: [{ name: '__glibc', version: '2.36' }] });
    expect(ok.map((p) => p.name)).toEqual(['needs-glibc']);
    await expect(solve({ specs: ['needs-glibc'], channels: [`${base}/virt`], subdir: 'linux-64', virtualPackages: [{ name: '__glibc', version: '2.17' }] }))
      .rejects.toMatchObject({ code: 'solve-failed', message: expect.stringMatching(/__glibc/) });
  });

  it('unsatisfiable requests carry the solver\'s explanation; a timeout is a clear error', async () => {
    await expect(solve({ specs: ['dummy-a >=9'], channels: [`${base}/dummy_channel_1`], subdir: 'linux-64' }))
      .rejects.toMatchObject({ code: 'solve-failed', message: expect.stringMatching(/dummy-a/) });
    await expect(solve({ specs: ['dummy-a'], channels: [`${base}/dummy_channel_1`], subdir: 'linux-64', timeoutMs: 1 }))
      .rejects.toMatchObject({ code: 'solve-timeout' });
  });
});

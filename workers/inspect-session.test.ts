import { openAsBlob } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../src/test-support/fixtures';
import { makeSampleArchive } from './sample-archive';
import { summarizeArchive } from '../src/core/inspect/summary';
import { readImageArchive } from '../src/core/archive';
import { InspectSession } from '../src/core/inspect/session';

describe('InspectSession on the built-in sample', () => {
  it('opens, indexes, pages rows, reads files, conda records and raw members', async () => {
    const file = await makeSampleArchive();
    const s = await InspectSession.open(file, file.name);
    const img = s.overview.images[0];
    expect(img.tags).toEqual(['docker-envs.example/sample:latest']);
    expect(img.layers).toHaveLength(4);
    expect(img.layers.every((l) => l.uncompressedSize === l.size)).toBe(true);
    const idx = await s.indexImage(0);
    // the summary used by the CLI is the oracle for counts and waste
    const oracle = (await summarizeArchive(await readImageArchive(file))).images[0];
    expect(idx.layers.map((l) => l.entries)).toEqual(oracle.layers.map((l) => l.entries));
    expect(idx.wastedBytes).toBe(oracle.wastedBytes);
    expect(idx.layers.map((l) => l.wastedBytes)).toEqual([300_000 + 150_000, 0, 0, 0]);
    expect(idx.layers[1].condaRecords).toBe(2);
    expect(idx.largest[0]).toEqual({ path: 'usr/lib/libbig.so', size: 310_000, layer: 2 });

    const merged = await s.treeRows(0, 'merged', { offset: 0, count: 1000 });
    const paths = merged.rows.map((r) => r.path);
    expect(paths).toContain('var/cache/index.db');
    expect(paths).not.toContain('var/cache/old.log');
    expect(paths).not.toContain('bin/tool-alias');
    const collapsed = await s.treeRows(0, 'merged', { offset: 0, count: 1000, collapsed: ['opt'] });
    expect(collapsed.total).toBe(merged.total - merged.rows.filter((r) => r.path.startsWith('opt/')).length);
    const top = await s.treeRows(0, 3, { offset: 0, count: 10 });
    expect(top.rows.map((r) => [r.name, r.whiteout ?? '', r.depth])).toEqual([['bin', '', 0], ['tool-alias', 'file', 1]]);

    const conda = await s.condaPackages(0, 1);
    expect(conda.records.map((r) => `${r.name}=${r.version}=${r.build}`)).toEqual(['python=3.12.7=h9e4cc4f_0', 'zlib=1.3.1=hb9d3cd8_2']);
    expect((await s.readFile(0, 1, 'opt/env/lib/libz.so.1')).size).toBe(90_000);
    expect(await (await s.readFile(0, 2, 'etc/motd')).text()).toBe('Built by docker-envs in your browser.\n');
    await expect(s.readFile(0, 2, 'nope')).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(JSON.parse(await s.readMember('manifest.json'))[0].RepoTags).toEqual(img.tags);
    expect(s.overview.members.filter((m) => m.metadata).map((m) => m.name)).toEqual(expect.arrayContaining(['manifest.json', 'index.json', 'oci-layout', 'repositories']));
  });
});

describe.skipIf(!haveFixtures)('InspectSession on fixtures', () => {
  it('matches the CLI summary on a two-image save, sharing listings between images', async () => {
    const blob = await openAsBlob(fixture('go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar'));
    const s = await InspectSession.open(blob, 'test_bundle.tar');
    const oracle = await summarizeArchive(await readImageArchive(blob));
    expect(s.overview.images.map((i) => i.tags)).toEqual(oracle.images.map((i) => i.tags));
    for (let i = 0; i < oracle.images.length; i++) {
      const idx = await s.indexImage(i);
      expect(s.overview.images[i].layers.map((l) => l.diffId)).toEqual(oracle.images[i].layers.map((l) => l.diffId));
      expect(idx.layers.map((l) => l.entries)).toEqual(oracle.images[i].layers.map((l) => l.entries));
    }
  });
});

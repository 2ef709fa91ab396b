/** The base's conda prefix read back through its layers: records, later layers, whiteouts, bad records. */
import { describe, expect, it } from 'vitest';
import { appendLayers, emptyImage, layerFromFiles, type Image } from '../image';
import { readCondaMeta, readInstalledPackages, recordFromCondaMeta } from './installed';

const rec = (name: string, version = '1.0', build = 'h0_0') => JSON.stringify({
  name, version, build, build_number: 0, subdir: 'linux-64', fn: `${name}-${version}-${build}.conda`, depends: ['libc'],
  url: `https://conda.anaconda.org/conda-forge/linux-64/${name}-${version}-${build}.conda`, channel: 'https://conda.anaconda.org/conda-forge/linux-64',
  sha256: 'ab'.repeat(32), md5: 'cd'.repeat(16), size: 123, files: [], paths_data: { paths: [] },
});
const add = (img: Image, files: Record<string, string>) => appendLayers(img, [{ layer: layerFromFiles(files), history: {} }]);

describe('readInstalledPackages', () => {
  it('maps records, lets later layers replace and whiteouts remove them', async () => {
    let img = add(emptyImage(), { 'opt/conda/conda-meta/zlib-1.0-h0_0.json': rec('zlib'), 'opt/conda/conda-meta/python-3.12.0-h0_0.json': rec('python', '3.12.0'), 'opt/conda/conda-meta/history': '', 'opt/conda/bin/python': '' });
    const [python, zlib] = await readInstalledPackages(img);
    expect(zlib).toEqual({ name: 'zlib', version: '1.0', build: 'h0_0', buildNumber: 0, subdir: 'linux-64', fn: 'zlib-1.0-h0_0.conda',
      url: 'https://conda.anaconda.org/conda-forge/linux-64/zlib-1.0-h0_0.conda', channel: 'https://conda.anaconda.org/conda-forge/', depends: ['libc'], sha256: 'ab'.repeat(32), md5: 'cd'.repeat(16), size: 123 });
    expect(python.version).toBe('3.12.0');
    img = add(img, { 'opt/conda/conda-meta/.wh.zlib-1.0-h0_0.json': '', 'opt/conda/conda-meta/python-3.12.0-h0_0.json': rec('python', '3.12.0', 'h1_1') });
    expect((await readInstalledPackages(img)).map((p) => `${p.name} ${p.build}`)).toEqual(['python h1_1']);
    expect(await readInstalledPackages(img, '/env')).toEqual([]); // another prefix: nothing
    expect(await readInstalledPackages(add(img, { 'opt/.wh.conda': '' }))).toEqual([]);
    expect(await readInstalledPackages(add(img, { 'opt/conda/conda-meta/.wh..wh..opq': '' }))).toEqual([]);
    expect(await readInstalledPackages(add(img, { 'opt/.wh..wh..opq': '' }))).toEqual([]);
  });

  it('readCondaMeta: the Python distributions the records\' files put in site-packages (a whiteout removes them too)', async () => {
    const withFiles = (name: string, files: string[]) => JSON.stringify({ ...JSON.parse(rec(name)) as object, files });
    let img = add(emptyImage(), {
      'opt/conda/conda-meta/requests-1.0-h0_0.json': withFiles('requests', ['lib/python3.11/site-packages/requests-2.32.3.dist-info/METADATA', 'lib/python3.11/site-packages/requests/__init__.py']),
      'opt/conda/conda-meta/zlib-1.0-h0_0.json': rec('zlib'),
    });
    expect((await readCondaMeta(img)).distributions).toEqual([{ key: 'requests', name: 'requests', version: '2.32.3', owner: 'requests-1.0-h0_0.conda' }]);
    img = add(img, { 'opt/conda/conda-meta/.wh.requests-1.0-h0_0.json': '' });
    expect((await readCondaMeta(img)).distributions).toBeUndefined();
  });

  it('readCondaMeta: the history the merged filesystem shows (a later layer replaces it, a whiteout removes it)', async () => {
    let img = add(emptyImage(), { 'opt/conda/conda-meta/history': '==> 2024-01-01 00:00:00 <==\n+a\n' });
    expect((await readCondaMeta(img)).history).toBe('==> 2024-01-01 00:00:00 <==\n+a\n');
    img = add(img, { 'opt/conda/conda-meta/history': 'second\n' });
    expect((await readCondaMeta(img)).history).toBe('second\n');
    expect((await readCondaMeta(add(img, { 'opt/conda/conda-meta/.wh.history': '' }))).history).toBeUndefined();
    expect((await readCondaMeta(add(img, { 'opt/.wh.conda': '' }))).history).toBeUndefined();
    expect(await readCondaMeta(emptyImage())).toEqual({ records: [] });
  });

  it('a record that is not JSON or lacks its identity is a clear error', async () => {
    await expect(readInstalledPackages(add(emptyImage(), { 'opt/conda/conda-meta/x.json': '{' }))).rejects.toMatchObject({ code: 'invalid-image', message: expect.stringMatching(/x\.json is not JSON/) });
    expect(() => recordFromCondaMeta({ name: 'x' }, '/x.json')).toThrow(/not a conda-meta record/);
  });
});

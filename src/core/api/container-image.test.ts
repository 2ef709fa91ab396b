import { describe, expect, it } from 'vitest';
import { readImageArchive } from '../archive';
import { CoreError } from '../errors';
import { appendLayers, emptyImage, layerFromFiles, validate } from '../image';
import { readTar } from '../tar';
import { condaFileFilter } from './conda-filter';
import { ContainerImage } from './container-image';
import { buildDockerEnvironment } from './environment';

/** Paths and text of a layer's files. */
async function filesOf(stream: ReadableStream<Uint8Array>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const { entry, body } of readTar(stream)) {
    if (entry.type === 'file') out[entry.name] = await new Response(body).text();
  }
  return out;
}

const base = () => new ContainerImage(appendLayers(emptyImage(), [
  { layer: layerFromFiles({ 'etc/base': 'base' }), history: { created_by: 'base' } },
  { layer: layerFromFiles({ 'etc/top': 'top' }), history: { created_by: 'top' } },
]), 'example/base:1');

describe('ContainerImage', () => {
  it('the seed example: remove the top layer, rename, add files, append to Env; each edit is a new image', async () => {
    const b = base();
    const edited = b.removeLayer().withName('this-is-a-test')
      .addLayerContents({ 'this/is/a/test1': new TextEncoder().encode('this is test 1'), 'this/is/a/test2': 'this is test 2' })
      .withConfig((c) => { c.config = { ...c.config, Env: [...(c.config?.Env ?? []), 'FOO=BAR'] }; });
    await validate(edited);
    const layers = await edited.layers();
    expect(layers).toHaveLength(2);
    expect(await filesOf(layers[0].uncompressed())).toEqual({ 'etc/base': 'base' });
    expect(await filesOf(layers[1].uncompressed())).toEqual({ 'this/is/a/test1': 'this is test 1', 'this/is/a/test2': 'this is test 2' });
    expect((await edited.config()).config?.Env).toEqual(['FOO=BAR']);
    expect((await edited.config()).history?.map((h) => h.created_by)).toEqual(['base', 'docker-envs: add 2 files']);
    expect(edited.name).toBe('this-is-a-test');
    // the original is untouched
    expect(b.name).toBe('example/base:1');
    expect(await b.layers()).toHaveLength(2);
    expect((await b.config()).config?.Env).toBeUndefined();
  });

  it('writeTo streams an archive tagged with its name that reads back to the same image', async () => {
    const img = base().withName('example/out:2');
    const chunks: Uint8Array[] = [];
    await img.writeTo(new WritableStream({ write(c) { chunks.push(c); } }));
    const archive = await readImageArchive(new Blob(chunks as BlobPart[]));
    expect(archive.images[0].tags).toEqual(['example/out:2']);
    expect(await archive.images[0].image.digest()).toBe(await img.digest());
  });

  it('refuses what would break the image: a changed rootfs, a bad name, removing a layer of an empty image', async () => {
    const img = base().withConfig((c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [] } }));
    await expect(img.config()).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(() => base().withName('Bad Name')).toThrow(CoreError);
    await expect(new ContainerImage(emptyImage()).removeLayer().layers()).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('addLayerFolder with condaFileFilter leaves out what the filter drops', async () => {
    const files: Record<string, string> = {
      'lib/libz.a': 'static', 'lib/libz.so': 'shared', 'lib/python3.12/site-packages/m/__pycache__/x.cpython-312.pyc': 'pyc',
      'lib/python3.12/site-packages/m/__init__.py': 'py', 'lib/python3.12/site-packages/m/tests/test_m.py': 't',
      'share/app/app.js': 'js', 'share/app/app.js.map': 'map', 'pkgs/m-1.0-0.conda': 'cache', 'share/doc/m/README': 'doc',
    };
    const folder = { async *walk() { for (const [path, text] of Object.entries(files)) yield { path, kind: 'file' as const, size: text.length, open: () => new Blob([text]) }; } };
    const img = new ContainerImage(emptyImage()).addLayerFolder(folder, { prefix: 'opt/conda', filter: condaFileFilter({ docs: true, tests: true }) });
    await validate(img);
    const [layer] = await img.layers();
    expect(Object.keys(await filesOf(layer.uncompressed())).sort()).toEqual(['opt/conda/lib/libz.so', 'opt/conda/lib/python3.12/site-packages/m/__init__.py', 'opt/conda/share/app/app.js']);
    // defaults keep docs and tests
    const defaults = condaFileFilter();
    expect(defaults('share/doc/m/README', 'file')).toBe(true);
    expect(defaults('lib/python3.12/site-packages/m/tests/test_m.py', 'file')).toBe(true);
    expect(defaults('pkgs', 'directory')).toBe(false);
  });
});

describe('buildDockerEnvironment', () => {
  it('refuses a base Image of another platform than the one asked for, before any solve', async () => {
    await expect(buildDockerEnvironment({ baseImage: emptyImage(), outputImage: 'x:1', packages: ['python'], channels: ['http://127.0.0.1:9/'], platform: { os: 'linux', architecture: 'arm64' } }))
      .rejects.toMatchObject({ code: 'platform-not-found', message: expect.stringContaining('linux/amd64, not the linux/arm64') });
  });

  it('refuses several platforms over one Image, and platform with platforms, before any solve', async () => {
    const amd64 = { os: 'linux', architecture: 'amd64' };
    const arm64 = { os: 'linux', architecture: 'arm64' };
    await expect(buildDockerEnvironment({ baseImage: emptyImage(), outputImage: 'x:1', packages: ['python'], channels: ['http://127.0.0.1:9/'], platforms: [amd64, arm64] }))
      .rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('holds each platform') });
    await expect(buildDockerEnvironment({ baseImage: emptyImage(), outputImage: 'x:1', packages: ['python'], channels: ['http://127.0.0.1:9/'], platform: amd64, platforms: [amd64, arm64] }))
      .rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('not both') });
  });
});

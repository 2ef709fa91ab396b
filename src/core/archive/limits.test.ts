import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manyLayerArchive, writeManyLayerFolder } from '../../test-support/many-layers';
import { readImageArchive } from './read';
import { dirSource } from './test-helpers.node';

/** the limit (MAX_IMAGE_LAYERS of oci/limits.ts), spelled out as the issue states it */
const MAX_IMAGE_LAYERS = 1000;
const tmp = mkdtempSync(join(tmpdir(), 'archive-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('layer count limit', () => {
  it(`a docker save listing ${MAX_IMAGE_LAYERS + 1} layers is refused before its layers are read, naming the count`, async () => {
    const tar = new Blob([manyLayerArchive(MAX_IMAGE_LAYERS + 1) as Uint8Array<ArrayBuffer>]);
    await expect(readImageArchive(tar)).rejects.toMatchObject({
      name: 'CoreError', code: 'too-many-layers', message: expect.stringMatching(/manifest\.json entry 0 .*lists 1001 layers, more than the 1000/),
    });
  });

  it(`an OCI layout folder whose manifest lists ${MAX_IMAGE_LAYERS + 1} layers is refused, naming the count`, async () => {
    const dir = join(tmp, 'folder-1001');
    writeManyLayerFolder(dir, MAX_IMAGE_LAYERS + 1);
    await expect(readImageArchive(dirSource(dir))).rejects.toMatchObject({
      code: 'too-many-layers', message: expect.stringMatching(/manifest sha256:[0-9a-f]{64} lists 1001 layers/),
    });
  });

  it(`${MAX_IMAGE_LAYERS} layers are read`, async () => {
    const a = await readImageArchive(new Blob([manyLayerArchive(MAX_IMAGE_LAYERS) as Uint8Array<ArrayBuffer>]));
    const layers = await a.images[0].image.layers();
    expect(layers).toHaveLength(MAX_IMAGE_LAYERS);
    expect(await layers[999].diffId()).toMatch(/^sha256:/);
  }, 30_000);
});

import { openAsBlob } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { gzipLayer, hasUncompressedBlob, layerFromFiles, type UncompressedBlobLayer } from '../image';
import { readImageArchive } from '../archive';
import { readLayerFiles, readCondaRecords, isCondaMetaPath } from './extract';
import { listLayer } from './listing';

const files = {
  'opt/env/conda-meta/zlib-1.3-h0.json': JSON.stringify({ name: 'zlib', version: '1.3', build: 'h0', channel: 'conda-forge' }),
  'opt/env/conda-meta/history': 'not a record',
  'opt/env/conda-meta/broken-1-0.json': '{',
  'etc/motd': 'hello\n',
};

describe('readLayerFiles', () => {
  it('reads the same bodies from an uncompressed layer (slices) and its gzip form (streamed)', async () => {
    const plain = layerFromFiles(files);
    const zipped = gzipLayer(plain);
    expect(hasUncompressedBlob(zipped)).toBe(false);
    for (const layer of [plain, zipped]) {
      const got = await readLayerFiles(layer, ['etc/motd', 'missing', 'opt/env/conda-meta']);
      expect([...got.keys()]).toEqual(['etc/motd']);
      expect(await got.get('etc/motd')!.text()).toBe('hello\n');
    }
  });

  it('finds conda records and names the broken ones', async () => {
    const listing = await listLayer(layerFromFiles(files));
    const paths = listing.files.map((f) => f.path).filter(isCondaMetaPath);
    expect(paths.sort()).toEqual(['opt/env/conda-meta/broken-1-0.json', 'opt/env/conda-meta/zlib-1.3-h0.json']);
    const { records, broken } = await readCondaRecords(gzipLayer(layerFromFiles(files)), paths);
    expect(records).toEqual([{ path: 'opt/env/conda-meta/zlib-1.3-h0.json', prefix: 'opt/env', name: 'zlib', version: '1.3', build: 'h0', channel: 'conda-forge' }]);
    expect(broken).toEqual(['opt/env/conda-meta/broken-1-0.json']);
  });
});

describe.skipIf(!haveFixtures)('listLayer fast path', () => {
  it('indexes uncompressed archive layers by headers and lists what streaming lists', async () => {
    const archive = await readImageArchive(await openAsBlob(fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar')));
    for (const layer of await archive.images[0].image.layers()) {
      expect(hasUncompressedBlob(layer)).toBe(true);
      const fast = await listLayer(layer);
      // the same layer without the capability: streamed
      const { uncompressedBlob: _, ...plainLayer } = layer as UncompressedBlobLayer;
      expect(hasUncompressedBlob(plainLayer)).toBe(false);
      const streamed = await listLayer(plainLayer);
      expect(fast).toEqual(streamed);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { memoryBlobStore } from '../cache';
import { MediaTypes } from '../oci';
import { isRemoteLayer, remoteLayer, RegistryClient } from '../registry';
import { layerFromBlob } from './blob-layer';
import { hasUncompressedBlob, isPrefetchable, isSelfHashed, uncompressedBlobOf } from './capabilities';
import { layerFromFiles } from './content-layer';
import { gzipLayer } from './gzip-layer';

describe('layer capabilities', () => {
  it('an uncompressed blob layer offers its tar as a Blob; its gzip form and a gzip blob do not', async () => {
    const plain = layerFromBlob(new Blob(['x'.repeat(1024)]), { mediaType: MediaTypes.ociLayer, compression: 'none' });
    expect(hasUncompressedBlob(plain)).toBe(true);
    expect(await uncompressedBlobOf(plain)!.text()).toBe('x'.repeat(1024));
    expect(hasUncompressedBlob(gzipLayer(plain))).toBe(false);
    expect(uncompressedBlobOf(layerFromBlob(new Blob([new Uint8Array([0x1f, 0x8b])]), { mediaType: MediaTypes.ociLayerGzip, compression: 'gzip' }))).toBeUndefined();
  });

  it('a pulled layer is prefetchable and remembers its source; others are neither', () => {
    const descriptor = { mediaType: MediaTypes.ociLayerGzip, digest: `sha256:${'a'.repeat(64)}` as const, size: 10 };
    const pulled = remoteLayer(new RegistryClient(), { registry: '127.0.0.1:1', repository: 'x/y', descriptor }, `sha256:${'b'.repeat(64)}`, memoryBlobStore());
    expect(isPrefetchable(pulled)).toBe(true);
    expect(isRemoteLayer(pulled)).toBe(true);
    const own = layerFromFiles({ a: 'b' });
    expect(isPrefetchable(own)).toBe(false);
    expect(isRemoteLayer(own)).toBe(false);
    expect(isSelfHashed(own)).toBe(false);
    expect(isSelfHashed(Object.assign({}, own, { selfHashed: true as const }))).toBe(true);
  });
});

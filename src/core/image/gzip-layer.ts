import { digestStream } from '../digest';
import { CoreError } from '../errors';
import { MediaTypes } from '../oci';
import { gzipStream, type GzipStreamOptions } from '../compress';
import { once } from './image';
import type { Layer } from './types';

/**
 * A gzip-compressed form of an uncompressed layer (media type
 * application/vnd.oci.image.layer.v1.tar+gzip), for pushing new layers. Compression is
 * deterministic (gzipStream: fixed level, mtime 0, no name), so the same tar always gives the
 * same compressed digest. digest() and size() (compressed) are computed together by one
 * compression pass, when first asked (memoised); diffId and the uncompressed forms are the input's.
 */
export function gzipLayer(layer: Layer, opts: GzipStreamOptions = {}): Layer {
  if (layer.compression !== 'none') {
    throw new CoreError('invalid-argument', `gzipLayer needs an uncompressed layer; this one is ${layer.compression} (use it as it is)`);
  }
  const compressed = (): ReadableStream<Uint8Array> => gzipStream(layer.uncompressed(), opts);
  const info = once(() => digestStream(compressed()));
  return {
    mediaType: MediaTypes.ociLayerGzip,
    compression: 'gzip',
    ...(layer.annotations ? { annotations: layer.annotations } : {}),
    digest: async () => (await info()).digest,
    size: async () => (await info()).size,
    diffId: () => layer.diffId(),
    uncompressedSize: () => layer.uncompressedSize(),
    compressed,
    uncompressed: () => layer.uncompressed(),
  };
}

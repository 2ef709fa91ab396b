import { digestStream, type Digest } from '../digest';
import { CoreError } from '../errors';
import { compressionOfMediaType, type Compression, type MediaType } from '../oci';
import { decompressStream, sniffBlob } from '../compress';
import type { Layer } from './types';

/** What is known about a stored layer blob. Digests and sizes given here are claims, not checked. */
export interface BlobLayerOptions {
  /** media type of the blob (its compressed form) */
  mediaType: MediaType;
  /** compression of the blob; default: from the media type */
  compression?: Compression;
  /** sha256 of the blob (compressed form); computed lazily when absent */
  digest?: Digest;
  /** sha256 of the uncompressed tar; computed lazily when absent */
  diffId?: Digest;
  /** byte length of the blob (compressed); default blob.size */
  size?: number;
  /** byte length of the uncompressed tar; computed lazily when absent */
  uncompressedSize?: number;
  /** annotations of the source descriptor, carried into regenerated manifests */
  annotations?: Record<string, string>;
}

/**
 * A Layer over bytes already stored (an archive member, a cached registry blob). Nothing is read
 * now. Known digests are taken as given (validate() checks them); unknown ones are computed once,
 * by streaming, the first time they are asked for (memoised, shared by concurrent callers).
 * Compression comes from `opts.compression`, else from the media type; when neither says,
 * this throws 'invalid-argument': use openBlobLayer(), which sniffs the bytes.
 */
export function layerFromBlob(blob: Blob, opts: BlobLayerOptions): Layer {
  const compression = opts.compression ?? compressionOfMediaType(opts.mediaType);
  if (compression === undefined) {
    throw new CoreError('invalid-argument',
      `cannot tell the compression of a layer of media type ${JSON.stringify(opts.mediaType)}: ` +
      'pass opts.compression, or use openBlobLayer() to detect it from the bytes');
  }
  const what = `layer ${opts.digest ?? `(${opts.mediaType})`}`;
  const uncompressed = (): ReadableStream<Uint8Array> => decompressStream(blob.stream(), compression, { what, reopen: () => blob.stream() });

  let compressedInfo: Promise<{ digest: Digest; size: number }> | undefined;
  const compressedDigest = (): Promise<{ digest: Digest; size: number }> =>
    (compressedInfo ??= digestStream(blob.stream()));

  let uncompressedInfo: Promise<{ digest: Digest; size: number }> | undefined;
  const uncompressedDigest = (): Promise<{ digest: Digest; size: number }> =>
    (uncompressedInfo ??= compression === 'none' ? compressedDigest() : digestStream(uncompressed()));

  let uncompressedCount: Promise<number> | undefined;
  const size = opts.size ?? blob.size;
  return {
    mediaType: opts.mediaType,
    compression,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
    async digest() {
      if (opts.digest) return opts.digest;
      if (compression === 'none' && opts.diffId) return opts.diffId;
      return (await compressedDigest()).digest;
    },
    async diffId() {
      if (opts.diffId) return opts.diffId;
      if (compression === 'none' && opts.digest) return opts.digest;
      return (await uncompressedDigest()).digest;
    },
    size: () => Promise.resolve(size),
    async uncompressedSize() {
      if (opts.uncompressedSize !== undefined) return opts.uncompressedSize;
      if (compression === 'none') return size;
      // with the diff_id already known, the size needs a count, not a hash (the writer verifies the digest)
      if (opts.diffId && !uncompressedInfo) return (uncompressedCount ??= countStream(uncompressed()));
      return (await uncompressedDigest()).size;
    },
    compressed: () => blob.stream(),
    uncompressed,
    // an uncompressed blob is the tar itself: offered as the UncompressedBlobLayer capability
    ...(compression === 'none' ? { uncompressedBlob: () => blob } : {}),
  };
}

/** Reads a stream to its end and returns its length in bytes. */
async function countStream(s: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) n += x.value.byteLength;
  return n;
}

/**
 * Like layerFromBlob, but the compression is read from the blob's first bytes unless
 * `opts.compression` is given: the bytes win over the media type (docker-archive members are
 * labelled `...tar.gzip` but stored uncompressed). bzip2/xz blobs → 'unsupported-compression'.
 */
export async function openBlobLayer(blob: Blob, opts: BlobLayerOptions): Promise<Layer> {
  if (opts.compression) return layerFromBlob(blob, opts);
  const sniffed = await sniffBlob(blob);
  if (sniffed === 'bzip2' || sniffed === 'xz') {
    throw new CoreError('unsupported-compression',
      `layer ${opts.digest ?? ''} is ${sniffed}-compressed; image layers must be uncompressed, gzip or zstd`);
  }
  return layerFromBlob(blob, { ...opts, compression: sniffed });
}

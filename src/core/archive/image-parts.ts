/**
 * Turning stored parts (config bytes, layer blobs, maybe manifest bytes) into an Image.
 * Internal to the archive reader.
 */
import { sniffBlob } from '../compress';
import type { Digest } from '../digest';
import { ArchiveError, CoreError, SizeMismatchError } from '../errors';
import { imageFrom, layerFromBlob, type Image, type Layer } from '../image';
import { checkConfig, compressionOfMediaType, MediaTypes, type Compression, type ConfigFile, type Descriptor, type MediaType, type Platform } from '../oci';
import { parseJson } from './members';

/** Parses an image config and checks it has what an image needs (rootfs.diff_ids); errors name the member. */
export function parseConfig(bytes: Uint8Array, path: string): ConfigFile {
  return checkConfig(parseJson(bytes, path), `config "${path}"`, (message) => new ArchiveError('archive-invalid', message));
}

/** The platform an image config announces. */
export function configPlatform(c: ConfigFile): Platform | undefined {
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') return undefined;
  return c.variant ? { os: c.os, architecture: c.architecture, variant: c.variant } : { os: c.os, architecture: c.architecture };
}

/**
 * How many layers are opened (sniffed) at once: each read of a file-backed Blob holds a file open, and a
 * process may have only ~1024 (Node's own handles included).
 */
export const OPEN_LANES = 16;

/** The media type used for a layer stored with this compression when nothing else names it. */
function mediaTypeFor(c: Compression): MediaType {
  return c === 'gzip' ? MediaTypes.dockerLayerGzip : c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.dockerLayer;
}

/**
 * A Layer over a stored blob. The compression comes from the descriptor's media type and is checked
 * against the first bytes (the bytes win, with a warning); without a descriptor it is sniffed
 * (docker-archive members may be gzip or zstd whatever manifest.json says).
 */
export async function storedLayer(blob: Blob, o: { descriptor?: Descriptor; diffId: Digest; what: string; warnings: string[] }): Promise<Layer> {
  const sniffed = await sniffBlob(blob);
  if (sniffed === 'bzip2' || sniffed === 'xz') {
    throw new CoreError('unsupported-compression', `${o.what} is ${sniffed}-compressed; layers must be uncompressed, gzip or zstd`);
  }
  const d = o.descriptor;
  if (!d) {
    return layerFromBlob(blob, { mediaType: mediaTypeFor(sniffed), compression: sniffed, diffId: o.diffId, digest: sniffed === 'none' ? o.diffId : undefined });
  }
  if (typeof d.size === 'number' && d.size !== blob.size) throw new SizeMismatchError(d.size, blob.size, `${o.what} (${d.digest})`);
  const declared = compressionOfMediaType(d.mediaType);
  let mediaType: MediaType = d.mediaType;
  if (declared !== undefined && declared !== sniffed) {
    o.warnings.push(`${o.what}: media type ${d.mediaType} says ${declared} but the bytes are ${sniffed === 'none' ? 'uncompressed' : sniffed}; reading them as ${sniffed}`);
    mediaType = mediaTypeFor(sniffed);
  }
  return layerFromBlob(blob, { mediaType, compression: sniffed, digest: d.digest, diffId: o.diffId, size: blob.size });
}

/** Parts of an image read from an archive. */
export interface ImageParts {
  rawConfig: Uint8Array;
  layers: Layer[];
  /** stored manifest bytes; when absent an OCI manifest is generated from the config and layers (image module) */
  rawManifest?: Uint8Array;
}

/**
 * An Image over parts already read (image module's imageFrom). A generated manifest (docker
 * archives store none) is built on first use; it asks each layer for its digest and size, which
 * streams a compressed layer once.
 */
export function buildImage(p: ImageParts): Image {
  return imageFrom(p.rawManifest ? { rawConfig: p.rawConfig, layers: p.layers, rawManifest: p.rawManifest } : { rawConfig: p.rawConfig, layers: p.layers });
}

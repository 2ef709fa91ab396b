import { sha256, type Digest } from '../digest';
import { CoreError } from '../errors';
import { compressionOfMediaType, MediaTypes, type ConfigFile, type Descriptor, type Manifest, type MediaType, type Platform } from '../oci';
import { inLanes } from '../stream';
import { canonicalJsonBytes, whereJsonFailed } from './json';
import type { Image, Layer } from './types';

/** Memoises an async computation: run once, when first asked; concurrent callers share it. */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

/** The parts an Image is assembled from; raw bytes, when given, are kept exactly. */
export interface ImageParts {
  /** the manifest bytes as stored; when absent, an OCI manifest is generated from config and layers */
  rawManifest?: Uint8Array;
  /** the config bytes as stored; when absent, `config` is serialised deterministically */
  rawConfig?: Uint8Array;
  /** the parsed config; parsed from rawConfig when absent (one of the two is required) */
  config?: ConfigFile;
  /** layers, bottom first */
  layers: Layer[];
}

/**
 * An Image from parts already read (an archive, a registry). Raw manifest and config bytes are
 * kept as given, so digests equal the source's. Nothing is checked here: call validate().
 */
export function imageFrom(parts: ImageParts): Image {
  if (!parts.rawConfig && !parts.config) throw new CoreError('invalid-argument', 'imageFrom needs config or rawConfig');
  const rawConfig = once(async () => parts.rawConfig ?? canonicalJsonBytes(parts.config));
  const config = once(async () => parts.config ?? parseJson<ConfigFile>(await rawConfig(), 'image config'));
  return assembleImage({
    layers: () => Promise.resolve(parts.layers),
    config,
    rawConfig,
    rawManifest: parts.rawManifest ? () => Promise.resolve(parts.rawManifest!) : undefined,
  });
}

/** Options of emptyImage. */
export interface EmptyImageOptions {
  /** default linux/amd64 */
  platform?: Platform;
  /** config `created`, ISO 8601; default 1970-01-01T00:00:00Z (reproducible) */
  created?: string;
}

/**
 * An image with no layers: an OCI manifest and a minimal config (platform, `created`,
 * empty rootfs, empty history, empty runtime config). The start of images built from scratch.
 */
export function emptyImage(opts: EmptyImageOptions = {}): Image {
  const p = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config: ConfigFile = {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features'] ? { 'os.features': p['os.features'] } : {}),
    created: opts.created ?? '1970-01-01T00:00:00Z',
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
  return imageFrom({ config, layers: [] });
}

/** What assembleImage needs; the manifest is generated (OCI) unless rawManifest is given. */
export interface AssembleParts {
  layers(): Promise<Layer[]>;
  config(): Promise<ConfigFile>;
  rawConfig?(): Promise<Uint8Array>;
  rawManifest?(): Promise<Uint8Array>;
}

/** Builds a lazy Image: each of manifest, config and digests is computed once, when first asked. */
export function assembleImage(parts: AssembleParts): Image {
  const rawConfig = once(async () => parts.rawConfig ? parts.rawConfig() : canonicalJsonBytes(await parts.config()));
  const config = once(parts.config);
  const rawManifest = once(async () => {
    if (parts.rawManifest) return parts.rawManifest();
    const cfg = await rawConfig();
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: await sha256(cfg), size: cfg.byteLength },
      // a few at a time: a layer whose digest is unknown is read (hashed) to learn it, each read holding a file open
      layers: await inLanes(await parts.layers(), 8, layerDescriptor),
    };
    return canonicalJsonBytes(manifest);
  });
  const manifest = once(async () => parseJson<Manifest>(await rawManifest(), 'image manifest'));
  const digest = once(async (): Promise<Digest> => sha256(await rawManifest()));
  return { manifest, rawManifest, digest, config, rawConfig, layers: once(parts.layers) };
}

/**
 * The OCI descriptor of a layer's compressed blob. Docker media types map to their OCI
 * equivalents, chosen by the layer's actual compression (a docker-archive member labelled
 * `tar.gzip` but stored plain becomes `application/vnd.oci.image.layer.v1.tar`).
 */
export async function layerDescriptor(layer: Layer): Promise<Descriptor> {
  return {
    mediaType: ociLayerMediaType(layer.mediaType, layer.compression),
    digest: await layer.digest(),
    size: await layer.size(),
    ...(layer.annotations && Object.keys(layer.annotations).length ? { annotations: layer.annotations } : {}),
  };
}

/** The OCI media type for a layer of media type `mt` whose blob has compression `c`. */
export function ociLayerMediaType(mt: MediaType, c: Layer['compression']): MediaType {
  const isOci = mt.startsWith('application/vnd.oci.image.layer.');
  if (isOci && compressionOfMediaType(mt) === c) return mt;
  const foreign = mt.includes('foreign') || mt.includes('nondistributable');
  if (foreign) {
    if (c === 'gzip') return MediaTypes.ociLayerNondistributableGzip;
    if (c === 'none') return MediaTypes.ociLayerNondistributable;
    return 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';
  }
  return c === 'gzip' ? MediaTypes.ociLayerGzip : c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
}

/** Parses JSON bytes, with an 'invalid-image' error naming what could not be parsed. */
export function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new CoreError('invalid-image', `${what} is not valid JSON (${whereJsonFailed(e)})`);
  }
}

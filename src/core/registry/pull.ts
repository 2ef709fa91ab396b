/**
 * Pulling: a registry reference → an Image whose layers are fetched (verified) into a BlobStore the
 * first time they are read. Raw manifest and config bytes are kept, so digests equal the registry's.
 */
import type { BlobStore } from '../cache';
import { memoryBlobStore } from '../cache';
import { type Digest } from '../digest';
import { CoreError } from '../errors';
import { imageFrom, layerFromBlob, once, type Image, type Layer } from '../image';
import { compressionOfMediaType, type ConfigFile, type Descriptor, type Manifest, type Platform } from '../oci';
import { fetchBlob } from './blobs';
import type { RegistryClient } from './client';
import { choosePlatform, fetchManifest, isIndex } from './manifests';
import { formatReference, parseReference, type ImageReference } from './reference';

/** Options of pullImage. */
export interface PullOptions {
  /** default linux/amd64 */
  platform?: Platform;
  /** where layer blobs go (verified); default: memory */
  store?: BlobStore;
  signal?: AbortSignal;
  /** per-blob progress */
  onProgress?: (digest: Digest, bytes: number, total: number) => void;
}

/** What a pull found. */
export interface PulledImage {
  ref: ImageReference;
  image: Image;
  /** digest of the image manifest */
  manifestDigest: Digest;
  /** digest of the index the manifest was chosen from, when the tag named an index */
  indexDigest?: Digest;
  platform: Platform;
}

/** Where a pulled layer came from: lets a push mount or skip it instead of re-uploading. */
export interface LayerSource {
  registry: string;
  repository: string;
  descriptor: Descriptor;
}

/** A layer backed by a registry blob, fetched into `store` once, when first read. */
export function remoteLayer(client: RegistryClient, src: LayerSource, diffId: Digest, store: BlobStore, opts: Pick<PullOptions, 'signal' | 'onProgress'> = {}): Layer & { source: LayerSource } {
  const d = src.descriptor;
  const compression = compressionOfMediaType(d.mediaType);
  if (!compression) throw new CoreError('invalid-image', `layer ${d.digest} has media type ${d.mediaType}, which is not a layer type this tool can read`);
  const local = once(async () => (await store.get(d.digest)) ?? store.put(d.digest, fetchBlob(client, src.registry, src.repository, d.digest, {
    size: d.size, signal: opts.signal, onProgress: (b) => opts.onProgress?.(d.digest, b, d.size),
  }), d.size));
  const inner = once(async () => layerFromBlob(await local(), { mediaType: d.mediaType, compression, digest: d.digest, diffId, size: d.size, annotations: d.annotations }));
  const deferred = (f: (l: Layer) => ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        reader ??= f(await inner()).getReader();
        const { done, value } = await reader.read();
        if (done) c.close(); else c.enqueue(value);
      },
      cancel: (r) => reader?.cancel(r),
    });
  };
  return {
    source: src,
    mediaType: d.mediaType,
    compression,
    ...(d.annotations ? { annotations: d.annotations } : {}),
    digest: async () => d.digest,
    diffId: async () => diffId,
    size: async () => d.size,
    uncompressedSize: once(async () => (await inner()).uncompressedSize()),
    compressed: () => deferred((l) => l.compressed()),
    uncompressed: () => deferred((l) => l.uncompressed()),
  };
}

/** Pulls `ref` (a string as docker reads it, or a parsed reference) for one platform. */
export async function pullImage(client: RegistryClient, ref: string | ImageReference, opts: PullOptions = {}): Promise<PulledImage> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  let m = await fetchManifest(client, r, undefined, opts.signal);
  let indexDigest: Digest | undefined;
  if (isIndex(m)) {
    indexDigest = m.digest;
    const chosen = choosePlatform(m.json, platform, formatReference(r));
    m = await fetchManifest(client, r, chosen.digest, opts.signal);
    if (isIndex(m)) throw new CoreError('invalid-image', `${formatReference(r)}: nested indexes are not supported`);
  } else if (r.digest && m.digest !== r.digest) {
    throw new CoreError('digest-mismatch', `${formatReference(r)}: manifest digest ${m.digest} differs`);
  }
  const manifest = m.json as Manifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new CoreError('invalid-image', `${formatReference(r)}: not an image manifest (schema 1 manifests are not supported)`);
  if (manifest.config.size > 16 * 1024 * 1024) throw new CoreError('invalid-image', `${formatReference(r)}: config is over 16 MiB`);
  const configStream = fetchBlob(client, r.registry, r.repository, manifest.config.digest, { size: manifest.config.size, signal: opts.signal });
  const rawConfig = new Uint8Array(await new Response(configStream).arrayBuffer());
  const config = JSON.parse(new TextDecoder().decode(rawConfig)) as ConfigFile;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new CoreError('invalid-image', `${formatReference(r)}: ${manifest.layers.length} layers but ${diffIds.length} diff_ids in the config`);
  }
  if (opts.platform && (config.os !== platform.os || config.architecture !== platform.architecture)) {
    throw new CoreError('platform-not-found', `${formatReference(r)} is ${config.os}/${config.architecture}, not ${platform.os}/${platform.architecture}`);
  }
  const store = opts.store ?? memoryBlobStore();
  const layers = manifest.layers.map((d, i) => remoteLayer(client, { registry: r.registry, repository: r.repository, descriptor: d }, diffIds[i], store, opts));
  const image = imageFrom({ rawManifest: m.bytes, rawConfig, config, layers });
  return { ref: r, image, manifestDigest: m.digest, ...(indexDigest ? { indexDigest } : {}), platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } };
}

/** Lists a repository's tags, following `Link` pagination. */
export async function listTags(client: RegistryClient, repo: string | ImageReference, opts: { pageSize?: number; signal?: AbortSignal; max?: number } = {}): Promise<string[]> {
  const r = typeof repo === 'string' ? parseReference(repo) : repo;
  const tags: string[] = [];
  let path: string | undefined = `/v2/${r.repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
  while (path && tags.length < (opts.max ?? 10_000)) {
    const res = await client.request(r.registry, r.repository, path, { signal: opts.signal, what: `tags of ${r.registry}/${r.repository}` });
    const body = await res.json() as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = res.headers.get('link')?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
    path = link?.[1];
  }
  return tags;
}


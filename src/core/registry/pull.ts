/**
 * Pulling: a registry reference → an Image whose layers are fetched (verified) into a BlobStore the
 * first time they are read. Raw manifest and config bytes are kept, so digests equal the registry's.
 */
import type { BlobStore } from '../cache';
import { getVerified, memoryBlobStore } from '../cache';
import { type Digest } from '../digest';
import { decompressStream } from '../compress';
import { CoreError, DigestMismatchError } from '../errors';
import { imageFrom, isPrefetchable, layerFromBlob, once, type Image, type Layer, type PrefetchableLayer, type SelfCheckingLayer } from '../image';
import { compressionOfMediaType, type ConfigFile, type Descriptor, type Manifest, type Platform } from '../oci';
import { fetchBlob } from './blobs';
import type { RegistryClient } from './client';
import { choosePlatform, fetchManifest, isIndex } from './manifests';
import { formatReference, parseReference, type ImageReference } from './reference';

/** Options of fetchRegistryImage. */
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

/** A pulled layer: where it came from (a push mounts or skips it), and a way to start its download ahead of reading it. */
export interface RemoteLayer extends PrefetchableLayer, SelfCheckingLayer {
  source: LayerSource;
}

/** Whether `layer` was pulled from a registry (and knows where from). */
export function isRemoteLayer(layer: Layer): layer is RemoteLayer {
  const src = (layer as Partial<RemoteLayer>).source;
  return isPrefetchable(layer) && typeof src === 'object' && src !== null && typeof src.registry === 'string' && typeof src.repository === 'string';
}

/**
 * Hands `source` on to the caller while `sink` consumes the same chunks (each side at most 16 chunks
 * behind the download). The returned stream closes only once `sink` has settled, and errors if it
 * failed, so a reader never finishes on bytes the sink refused.
 */
function teeInto(source: ReadableStream<Uint8Array>, sink: (s: ReadableStream<Uint8Array>) => Promise<Blob>): { stream: ReadableStream<Uint8Array>; done: Promise<Blob> } {
  // up to 16 chunks of slack each way, so the download, the store's write and the reader overlap
  const side = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 16 });
  const writer = side.writable.getWriter();
  const done = sink(side.readable);
  done.catch(() => {});
  const reader = source.getReader();
  const fail = (e: unknown) => { writer.abort(e).catch(() => {}); reader.cancel(e).catch(() => {}); };
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await reader.read();
        if (r.done) {
          await writer.close();
          await done;
          c.close();
          return;
        }
        await writer.ready;
        writer.write(r.value).catch(() => {});
        c.enqueue(r.value);
      } catch (e) {
        fail(e);
        throw e;
      }
    },
    cancel(reason) { fail(reason); },
  }, { highWaterMark: 16 });
  return { stream, done };
}

/**
 * A layer backed by a registry blob, fetched into `store` once, when first read. The first read of its
 * bytes streams the download itself (stored and verified on the way), so decompression overlaps the
 * transfer; later reads come from the store.
 */
export function remoteLayer(client: RegistryClient, src: LayerSource, diffId: Digest, store: BlobStore, opts: Pick<PullOptions, 'signal' | 'onProgress'> = {}): RemoteLayer {
  const d = src.descriptor;
  const compression = compressionOfMediaType(d.mediaType);
  if (!compression) throw new CoreError('invalid-image', `layer ${d.digest} has media type ${d.mediaType}, which is not a layer type this tool can read`);
  // every download goes into store.put, which checks the digest (and the tee below ends a reader's stream only
  // once the put has settled): hashing it in fetchBlob as well would be a second pass over the same bytes
  const download = () => fetchBlob(client, src.registry, src.repository, d.digest, {
    size: d.size, signal: opts.signal, onProgress: (b) => opts.onProgress?.(d.digest, b, d.size), verify: false,
  });
  const what = `blob ${d.digest} of ${src.registry}/${src.repository}`;
  /** the download into the store, whose check names the blob and where it came from when the bytes are wrong */
  const putDownload = (s: ReadableStream<Uint8Array>) => store.put(d.digest, s, d.size).catch((e: unknown) => {
    throw e instanceof DigestMismatchError ? new DigestMismatchError(e.expected, e.actual, what, { cause: e }) : e;
  });
  let stored: Promise<Blob> | undefined;
  /** remembers `p` as the local copy; a failed one is forgotten, so a later read fetches again */
  const remember = (p: Promise<Blob>): Promise<Blob> => {
    stored = p;
    p.catch(() => { if (stored === p) stored = undefined; });
    return p;
  };
  /** the verified local copy, fetched if needed */
  // a stored blob is hashed again before use: bytes changed on disk are dropped and downloaded again
  const local = (): Promise<Blob> => stored ?? remember((async () => (await getVerified(store, d.digest)) ?? putDownload(download()))());
  /** the compressed bytes: the local copy, or the first time, the download as it is being stored */
  const compressedSource = async (): Promise<ReadableStream<Uint8Array>> => {
    if (!stored) {
      const have = await getVerified(store, d.digest);
      if (!stored) {
        if (have) remember(Promise.resolve(have));
        else {
          const t = teeInto(download(), putDownload);
          remember(t.done);
          return t.stream;
        }
      }
    }
    return (await local()).stream();
  };
  const inner = once(async () => layerFromBlob(await local(), { mediaType: d.mediaType, compression, digest: d.digest, diffId, size: d.size, annotations: d.annotations }));
  const deferred = (f: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> => {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        reader ??= (await f()).getReader();
        const { done, value } = await reader.read();
        if (done) c.close(); else c.enqueue(value);
      },
      cancel: (r) => reader?.cancel(r),
    });
  };
  return {
    source: src,
    prefetch: () => local().then(() => undefined),
    mediaType: d.mediaType,
    compression,
    ...(d.annotations ? { annotations: d.annotations } : {}),
    digest: async () => d.digest,
    diffId: async () => diffId,
    size: async () => d.size,
    uncompressedSize: once(async () => (await inner()).uncompressedSize()),
    compressed: () => deferred(compressedSource),
    // Chromium's native gunzip refuses multi-member gzip (eStargz): it then decodes again with fflate from the
    // start, reading the stored copy; a download the failed decode cut short is forgotten once it has failed,
    // so the second local() fetches it anew
    uncompressed: () => deferred(async () => decompressStream(await compressedSource(), compression, {
      what: `layer ${d.digest}`, reopen: () => deferred(async () => (await local().catch(() => local())).stream()),
    })),
    // checked against the config's diff_id where it is decoded (a gzip decoded on another thread is hashed there)
    uncompressedChecked: (size?: number) => deferred(async () => decompressStream(await compressedSource(), compression, {
      what: `layer ${d.digest}`, reopen: () => deferred(async () => (await local().catch(() => local())).stream()),
      expect: { digest: diffId, size, what: 'layer' },
    })),
  };
}

/** Fetches the manifest and config of `ref` (a string as docker reads it, or a parsed reference) for one platform through `client`: an Image whose layers download when first read. The library's `pullImage(ref, opts)` is the form without a client. */
export async function fetchRegistryImage(client: RegistryClient, ref: string | ImageReference, opts: PullOptions = {}): Promise<PulledImage> {
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


/**
 * Pushing an image: blobs the registry already has are skipped (HEAD), blobs pulled from another repository
 * of the same registry are mounted, the rest are uploaded in bounded chunks (PATCH with Content-Range, then
 * PUT ?digest=), then the manifest. Uncompressed layers are gzipped deterministically first, so the same
 * image always pushes to the same digests. An image pushed unchanged (read from a registry or a layout, its
 * blobs as they were) goes up with its own manifest bytes, so the copy has the source's digest; any other
 * gets an OCI manifest written here. Several platforms go up as one OCI index.
 */
import { canonicalJsonBytes } from '../image/json';
import { sha256, type Digest } from '../digest';
import { CoreError } from '../errors';
import { gzipLayer, type Image, type Layer } from '../image';
import { MediaTypes, type Descriptor, type Index, type Manifest, type Platform } from '../oci';
import type { RegistryClient } from './client';
import { isRemoteLayer, type LayerSource } from './pull';
import { formatReference, parseReference, type ImageReference } from './reference';

/** Options of pushImage / pushIndex. */
export interface PushOptions {
  /** upload chunk size in bytes (default 16 MiB); a blob up to this size goes in one PATCH */
  chunkSize?: number;
  signal?: AbortSignal;
  /** per-blob progress (bytes sent so far) */
  onProgress?: (digest: Digest, bytes: number, total: number) => void;
}

/** What a push did: the manifest digest and, per blob, whether it was skipped, mounted or uploaded. */
export interface PushResult {
  digest: Digest;
  /** byte length of the pushed manifest (or index) */
  size: number;
  /** media type of the pushed manifest (or index) */
  mediaType: string;
  blobs: Array<{ digest: Digest; how: 'exists' | 'mounted' | 'uploaded'; size: number }>;
}

const DEFAULT_CHUNK = 16 * 1024 * 1024;

/** The layer to push: layers already compressed go as they are; uncompressed ones are gzipped. */
function pushForm(layer: Layer): Layer {
  return layer.compression === 'none' ? gzipLayer(layer) : layer;
}

async function blobExists(client: RegistryClient, r: ImageReference, digest: Digest, signal?: AbortSignal): Promise<boolean> {
  const res = await client.request(r.registry, r.repository, `/v2/${r.repository}/blobs/${digest}`, {
    method: 'HEAD', actions: 'pull,push', signal, accept: (s) => s === 200 || s === 404, what: `HEAD blob ${digest}`,
  });
  return res.status === 200;
}

/** Uploads one blob from a stream factory, in chunks; mounts it from `from` when the registry can. */
async function uploadBlob(client: RegistryClient, r: ImageReference, digest: Digest, size: number, stream: () => ReadableStream<Uint8Array>, from: string | undefined, opts: PushOptions): Promise<'mounted' | 'uploaded'> {
  const base = `/v2/${r.repository}/blobs/uploads/`;
  const start = await client.request(r.registry, r.repository, from ? `${base}?mount=${digest}&from=${encodeURIComponent(from)}` : base, {
    method: 'POST', actions: 'pull,push', signal: opts.signal, accept: (s) => s === 201 || s === 202, what: `start upload of ${digest}`,
    headers: { 'content-length': '0' },
  });
  await start.body?.cancel();
  if (start.status === 201) return 'mounted';
  let location = absolute(client, r, start.headers.get('location'));
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const reader = stream().getReader();
  let sent = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const body = new Blob(pending as BlobPart[]);
    const res = await client.request(r.registry, r.repository, location, {
      method: 'PATCH', actions: 'pull,push', signal: opts.signal, body, accept: (s) => s === 202, what: `upload of ${digest}`,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${sent}-${sent + pendingBytes - 1}`, 'content-length': String(pendingBytes) },
    });
    await res.body?.cancel();
    location = absolute(client, r, res.headers.get('location') ?? location);
    sent += pendingBytes;
    pending = [];
    pendingBytes = 0;
    opts.onProgress?.(digest, sent, size);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let off = 0; off < value.byteLength;) {
      const take = Math.min(value.byteLength - off, chunkSize - pendingBytes);
      pending.push(value.subarray(off, off + take));
      pendingBytes += take;
      off += take;
      if (pendingBytes === chunkSize) await flush();
    }
  }
  await flush();
  if (sent !== size) throw new CoreError('size-mismatch', `blob ${digest} was ${sent} bytes, its descriptor says ${size}`);
  const done = new URL(location);
  done.searchParams.set('digest', digest);
  const res = await client.request(r.registry, r.repository, done.toString(), {
    method: 'PUT', actions: 'pull,push', signal: opts.signal, accept: (s) => s === 201, what: `finish upload of ${digest}`,
    headers: { 'content-length': '0' },
  });
  await res.body?.cancel();
  return 'uploaded';
}

/** Upload Locations may be relative to the registry; make them absolute URLs. */
function absolute(client: RegistryClient, r: ImageReference, loc: string | null): string {
  if (!loc) throw new CoreError('registry-error', `${r.registry} started an upload without a Location`);
  return new URL(loc, client.baseUrl(r.registry)).toString();
}

/** Pushes a blob unless the repository has it; mounts across repositories of the same registry. */
async function pushBlob(client: RegistryClient, r: ImageReference, layerOrBytes: { digest: Digest; size: number; stream: () => ReadableStream<Uint8Array>; source?: LayerSource }, opts: PushOptions, result: PushResult): Promise<void> {
  const { digest, size } = layerOrBytes;
  if (await blobExists(client, r, digest, opts.signal)) { result.blobs.push({ digest, how: 'exists', size }); return; }
  const src = layerOrBytes.source;
  const from = src && src.registry === r.registry && src.repository !== r.repository ? src.repository : undefined;
  const how = await uploadBlob(client, r, digest, size, layerOrBytes.stream, from, opts);
  result.blobs.push({ digest, how, size });
}

/** Pushes one image to `ref` (tag or digest reference); returns the manifest digest. */
export async function pushImage(client: RegistryClient, image: Image, ref: string | ImageReference, opts: PushOptions = {}): Promise<PushResult> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const result: PushResult = { digest: '' as Digest, size: 0, mediaType: MediaTypes.ociManifest, blobs: [] };
  const layers = (await image.layers()).map(pushForm);
  const descriptors: Descriptor[] = [];
  for (const l of layers) {
    const d: Descriptor = { mediaType: l.mediaType, digest: await l.digest(), size: await l.size(), ...(l.annotations ? { annotations: l.annotations } : {}) };
    await pushBlob(client, r, { digest: d.digest, size: d.size, stream: () => l.compressed(), ...(isRemoteLayer(l) ? { source: l.source } : {}) }, opts, result);
    descriptors.push(d);
  }
  const rawConfig = await image.rawConfig();
  const configDigest = await sha256(rawConfig);
  await pushBlob(client, r, { digest: configDigest, size: rawConfig.byteLength, stream: () => new Blob([rawConfig as BlobPart]).stream() }, opts, result);
  const original = await sameManifest(image, configDigest, descriptors);
  const [bytes, mediaType] = original ?? [canonicalJsonBytes({
    schemaVersion: 2, mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: rawConfig.byteLength },
    layers: descriptors,
  } satisfies Manifest), MediaTypes.ociManifest];
  result.digest = await putManifest(client, r, bytes, mediaType, opts.signal);
  result.size = bytes.byteLength;
  result.mediaType = mediaType;
  return result;
}

/**
 * The image's own manifest bytes and media type when they describe exactly the blobs pushed (an image read
 * from a registry or a layout and not changed): pushed as they are, the copy keeps the source's digest.
 * Undefined when the image was changed or its layers had to be compressed for the push.
 */
async function sameManifest(image: Image, configDigest: Digest, pushed: Descriptor[]): Promise<[Uint8Array, string] | undefined> {
  const m = await image.manifest();
  const same = m.config.digest === configDigest && m.layers.length === pushed.length &&
    m.layers.every((d, i) => d.digest === pushed[i].digest && d.size === pushed[i].size && d.mediaType === pushed[i].mediaType);
  if (!same) return undefined;
  const raw = await image.rawManifest();
  // the media type the bytes declare (Docker v2s2 always does; OCI may leave it out)
  const declared = (JSON.parse(new TextDecoder().decode(raw)) as { mediaType?: string }).mediaType;
  return [raw, declared ?? MediaTypes.ociManifest];
}

async function putManifest(client: RegistryClient, r: ImageReference, bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<Digest> {
  const digest = await sha256(bytes);
  const res = await client.request(r.registry, r.repository, `/v2/${r.repository}/manifests/${r.tag ?? digest}`, {
    method: 'PUT', actions: 'pull,push', signal, body: new Blob([bytes as BlobPart]), accept: (s) => s === 201, what: `manifest ${formatReference(r)}`,
    headers: { 'content-type': mediaType },
  });
  await res.body?.cancel();
  const echoed = res.headers.get('docker-content-digest');
  if (echoed && echoed !== digest) throw new CoreError('digest-mismatch', `${r.registry} stored the manifest as ${echoed}, expected ${digest}`);
  return digest;
}

/** Pushes several images (one per platform) and an OCI index over them to `ref`. */
export async function pushIndex(client: RegistryClient, images: Array<{ image: Image; platform: Platform }>, ref: string | ImageReference, opts: PushOptions = {}): Promise<PushResult> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const manifests: Descriptor[] = [];
  const all: PushResult = { digest: '' as Digest, size: 0, mediaType: MediaTypes.ociIndex, blobs: [] };
  for (const { image, platform } of images) {
    const res = await pushImage(client, image, { ...r, tag: undefined, digest: undefined }, opts);
    all.blobs.push(...res.blobs);
    manifests.push({ mediaType: res.mediaType, digest: res.digest, size: res.size, platform });
  }
  const index: Index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
  const bytes = canonicalJsonBytes(index);
  all.digest = await putManifest(client, r, bytes, MediaTypes.ociIndex, opts.signal);
  all.size = bytes.byteLength;
  return all;
}

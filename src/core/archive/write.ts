/**
 * writeDockerArchive: the tar `docker save` writes since Docker 25, readable by `docker load` (every
 * version with manifest.json), skopeo/podman (`docker-archive:` and `oci-archive:`) and any OCI tool:
 *
 *   blobs/  blobs/sha256/  blobs/sha256/<hex>…   layers (uncompressed: digest = diff_id), configs, OCI manifests
 *   index.json      OCI index, one entry per tag (annotations io.containerd.image.name, org.opencontainers.image.ref.name)
 *   manifest.json   [{ Config, RepoTags, Layers }] with blob paths
 *   oci-layout      {"imageLayoutVersion":"1.0.0"}
 *   repositories    { familiarName: { tag: <hex of the top layer's diff_id> } }
 *
 * Deterministic: fixed entry order (per image: layers bottom first, config, manifest; each blob once),
 * mtime 0 (or opts.mtime), uid/gid 0, no user names; identical input gives identical bytes.
 */
import { sha256, verifyingStream, type Digest } from '../digest';
import { CoreError } from '../errors';
import { isCheckedAfterRead, isSelfChecking, isSelfHashed } from '../image/capabilities';
import type { Image, Layer } from '../image/types';
import { MediaTypes, type Descriptor, type Index, type Manifest, type Platform } from '../oci';
import { writeTar, type TarWriteEntry } from '../tar';
import { normalizeTag, type NormalizedTag } from './tags';

/** One image to write, with the tags to give it (may be empty). */
export interface ArchiveWriteItem {
  image: Image;
  tags: string[];
}

/**
 * One image built for several platforms, with the tags to give it: index.json names an OCI index listing
 * each platform's manifest; manifest.json (read by Docker before 25) lists the first platform's image.
 */
export interface MultiPlatformWriteItem {
  platforms: Array<{ image: Image; platform: Platform }>;
  tags: string[];
}

/** What an archive holds: images, and multi-platform images. */
export type ArchiveItem = ArchiveWriteItem | MultiPlatformWriteItem;

/** Options of writeDockerArchive. */
export interface WriteArchiveOptions {
  /** aborts the stream (it errors with the signal's reason) */
  signal?: AbortSignal;
  /** mtime of every entry, in seconds since the epoch (default 0) */
  mtime?: number;
  /**
   * For a sink that can seek (a file): layers are written in one pass without learning their sizes
   * first; each layer's real tar header is handed here with its offset, to be written over the
   * placeholder once the stream has ended. The patched file equals the archive written without it.
   */
  onPatch?: (offset: number, header: Uint8Array) => void;
  /**
   * For a sink that can seek: a layer some of whose bytes come from a cache unhashed (see
   * CheckedAfterReadLayer) streams them once, hashing them on the way; each such layer's body offset is handed
   * here with a promise of undefined (its bytes were right) or of the right bytes, to be written over them.
   * Without it, such bytes are hashed before they are written.
   */
  onRepair?: (offset: number, fix: Promise<ReadableStream<Uint8Array> | undefined>) => void;
  /** each item's digest as index.json lists it (its manifest's, or its index's for a multi-platform item) */
  onItem?: (item: number, digest: Digest) => void;
}

const enc = new TextEncoder();
const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
const blobName = (d: Digest): string => `blobs/sha256/${d.slice(7)}`;

/** Errors the stream when the signal aborts (checked on every chunk). */
function abortable(signal: AbortSignal | undefined): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, c) {
      signal?.throwIfAborted();
      c.enqueue(chunk);
    },
  });
}

interface Planned { configDigest: Digest; manifest: Descriptor; layers: Digest[]; tags: NormalizedTag[] }

/** What is shared between the images of one archive: names already written, layer sizes, and where the last body written began. */
interface Written { names: Set<string>; sizes: Map<string, number>; body: { offset: number } }

/** The blobs of one image (layers bottom first, config, manifest), each once per archive; returns its plan. */
async function* imageEntries(image: Image, i: number, tags: NormalizedTag[], done: Written, opts: WriteArchiveOptions): AsyncGenerator<TarWriteEntry, Planned> {
  const mtime = opts.mtime ?? 0;
  const file = (name: string, body: Uint8Array): TarWriteEntry => ({ name, type: 'file', mode: 0o644, mtime, body });
  opts.signal?.throwIfAborted();
  // layers first, the config after them: a config that lists every diff_id may wait for layers still being
  // built (an environment's layer jobs), and the archive's bytes are the same in either order of asking
  const layers = await image.layers();
  const layerDescs: Descriptor[] = [];
  for (const layer of layers) {
    const diffId = await layer.diffId();
    const name = blobName(diffId);
    let size = done.sizes.get(name);
    // a layer built here knows its size once its digest is known: no header to write over
    if (size === undefined && opts.onPatch && !isSelfHashed(layer)) {
      let counted = 0;
      const count = new TransformStream<Uint8Array, Uint8Array>({ transform(c, ctl) { counted += c.byteLength; ctl.enqueue(c); } });
      yield { name, type: 'file', mode: 0o644, mtime, deferSize: true, body: () => layerBody(layer, diffId, undefined, opts.signal).pipeThrough(count) };
      size = counted; // the body has been written when the generator resumes
    } else if (size === undefined && opts.onRepair && isCheckedAfterRead(layer)) {
      const known = await layer.uncompressedSize();
      size = known;
      let settled: Promise<ReadableStream<Uint8Array> | undefined> | undefined;
      yield { name, type: 'file', mode: 0o644, mtime, size, body: () => {
        const read = layer.uncompressedThenChecked();
        settled = read.settled;
        return read.stream.pipeThrough(abortable(opts.signal));
      } };
      // the body has been written when the generator resumes: done.body is where it began
      if (!settled) throw new CoreError('internal', `layer ${name} was not read`);
      opts.onRepair(done.body.offset, settled);
    } else if (size === undefined) {
      const known = await layer.uncompressedSize();
      size = known;
      yield { name, type: 'file', mode: 0o644, mtime, size, body: () => layerBody(layer, diffId, known, opts.signal) };
    }
    done.sizes.set(name, size);
    done.names.add(name);
    layerDescs.push({ mediaType: MediaTypes.ociLayer, digest: diffId, size });
  }
  const [config, rawConfig] = await Promise.all([image.config(), image.rawConfig()]);
  const ids = config.rootfs?.diff_ids ?? [];
  if (ids.length !== layers.length) {
    throw new CoreError('invalid-image', `image ${i}: its config has ${ids.length} diff_ids but it has ${layers.length} layers`);
  }
  for (const [j, d] of layerDescs.entries()) {
    if (d.digest !== ids[j]) throw new CoreError('invalid-image', `image ${i} layer ${j}: diff_id ${d.digest} differs from the config's ${ids[j]}`);
  }
  const configDigest = await sha256(rawConfig);
  if (!done.names.has(blobName(configDigest))) {
    done.names.add(blobName(configDigest));
    yield file(blobName(configDigest), rawConfig);
  }
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: rawConfig.byteLength },
    layers: layerDescs,
  };
  const rawManifest = await sameManifest(image, manifest) ?? json(manifest);
  const manifestDigest = await sha256(rawManifest);
  if (!done.names.has(blobName(manifestDigest))) {
    done.names.add(blobName(manifestDigest));
    yield file(blobName(manifestDigest), rawManifest);
  }
  return {
    configDigest, layers: layerDescs.map((d) => d.digest), tags,
    manifest: { mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: rawManifest.byteLength },
  };
}

const isMulti = (it: ArchiveItem): it is MultiPlatformWriteItem => 'platforms' in it;

/** The tar entries, produced lazily: a layer's size is asked for just before its header is written. */
async function* entries(items: ArchiveItem[], opts: WriteArchiveOptions, body: { offset: number }): AsyncGenerator<TarWriteEntry> {
  const mtime = opts.mtime ?? 0;
  const file = (name: string, body: Uint8Array): TarWriteEntry => ({ name, type: 'file', mode: 0o644, mtime, body });
  const tagsPer = items.map((it) => it.tags.map(normalizeTag)); // fail on a bad tag before writing anything
  for (const it of items) {
    if (isMulti(it) && it.platforms.length === 0) throw new CoreError('invalid-argument', 'a multi-platform image needs at least one platform');
  }
  const done: Written = { names: new Set(), sizes: new Map(), body };
  /** per item: what index.json lists (a manifest, or the item's own index) and the image manifest.json names */
  const planned: Array<{ top: Descriptor; first: Planned }> = [];
  yield { name: 'blobs/', type: 'directory', mode: 0o755, mtime };
  yield { name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime };
  let n = 0;
  for (const [i, it] of items.entries()) {
    if (!isMulti(it)) {
      const p = yield* imageEntries(it.image, n++, tagsPer[i], done, opts);
      planned.push({ top: p.manifest, first: p });
      opts.onItem?.(i, p.manifest.digest);
      continue;
    }
    // every platform's image, then an index over them (the blob the item's tags name in index.json)
    const platforms: Planned[] = [];
    for (const { image } of it.platforms) platforms.push(yield* imageEntries(image, n++, tagsPer[i], done, opts));
    const rawIndex = platformIndexBytes(platforms.map((p, j) => ({ manifest: p.manifest, platform: it.platforms[j].platform })));
    const indexDigest = await sha256(rawIndex);
    if (!done.names.has(blobName(indexDigest))) {
      done.names.add(blobName(indexDigest));
      yield file(blobName(indexDigest), rawIndex);
    }
    planned.push({ top: { mediaType: MediaTypes.ociIndex, digest: indexDigest, size: rawIndex.byteLength }, first: platforms[0] });
    opts.onItem?.(i, indexDigest);
  }
  const index: Index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: planned.flatMap(({ top, first }) => (first.tags.length === 0 ? [top] : first.tags.map((t) => ({
      ...top,
      annotations: { 'io.containerd.image.name': t.full, 'org.opencontainers.image.ref.name': t.tag },
    })))),
  };
  yield file('index.json', json(index));
  // Docker before 25 reads only manifest.json, which has no platforms: a multi-platform item shows its first
  yield file('manifest.json', json(planned.map(({ first: p }) => ({
    Config: blobName(p.configDigest),
    RepoTags: p.tags.length ? p.tags.map((t) => t.familiar) : null,
    Layers: p.layers.map(blobName),
  }))));
  yield file('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  const repos: Record<string, Record<string, string>> = {};
  for (const { first: p } of planned) {
    const top = p.layers[p.layers.length - 1];
    if (!top) continue;
    for (const t of p.tags) (repos[t.familiarName] ??= {})[t.tag] = top.slice(7);
  }
  yield file('repositories', json(repos));
}

/**
 * The bytes of the OCI index a multi-platform item's tags name in an archive: each platform's manifest
 * descriptor with its platform (os, architecture, variant when there is one), in the order given.
 */
function platformIndexBytes(manifests: Array<{ manifest: Descriptor; platform: Platform }>): Uint8Array {
  const index: Index = {
    schemaVersion: 2, mediaType: MediaTypes.ociIndex,
    manifests: manifests.map(({ manifest: m, platform: p }) => ({
      mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) },
    })),
  };
  return json(index);
}

/**
 * The image's own manifest bytes when they describe exactly what the archive holds (an OCI manifest with the
 * same config and the same uncompressed layers, in order): then the archive keeps the image's digest (an
 * environment built here is the image whose digest the build reported). Undefined otherwise: the archive
 * gets a manifest of its own (e.g. a pulled image whose gzip layers the archive stores uncompressed).
 */
async function sameManifest(image: ArchiveWriteItem['image'], written: Manifest): Promise<Uint8Array | undefined> {
  let own: Manifest;
  try { own = await image.manifest(); } catch { return undefined; }
  const same = (a: Descriptor, b: Descriptor) => a.digest === b.digest && a.size === b.size && a.mediaType === b.mediaType;
  if (own.mediaType !== MediaTypes.ociManifest || !own.config || !same(own.config, written.config)) return undefined;
  if (!Array.isArray(own.layers) || own.layers.length !== written.layers.length || !own.layers.every((l, i) => same(l, written.layers[i]))) return undefined;
  return image.rawManifest();
}

/**
 * The uncompressed layer, its diff_id (`diffId`, the layer's own diffId()) and size checked while it streams (a
 * layer this process hashed itself, `selfHashed`, is only counted: the tar writer checks a known size).
 */
function layerBody(layer: Layer, diffId: Digest, size: number | undefined, signal?: AbortSignal): ReadableStream<Uint8Array> {
  // a self-checking layer (a pulled one) is checked against its diff_id (`diffId` is the layer's own) where it
  // is decoded: the same check, without another pass over the bytes here
  const body = isSelfHashed(layer) ? layer.uncompressed()
    : isSelfChecking(layer) ? layer.uncompressedChecked(size)
      : layer.uncompressed().pipeThrough(verifyingStream(diffId, size, 'layer'));
  return body.pipeThrough(abortable(signal));
}

/**
 * Writes images as a `docker save` tar in the Docker ≥ 25 dual layout (see the module comment).
 * Layers are written uncompressed; a compressed source layer is decompressed on the fly and its
 * diff_id verified while it streams (a mismatch errors the stream). Sizes must be known before each
 * header: a layer whose uncompressedSize() is not known yet is streamed once to learn it.
 * Nothing is buffered beyond one chunk and the small JSON documents.
 */
export function writeDockerArchive(items: ArchiveItem[], opts: WriteArchiveOptions = {}): ReadableStream<Uint8Array> {
  if (items.length === 0) throw new CoreError('invalid-argument', 'writeDockerArchive needs at least one image');
  const body = { offset: 0 };
  return writeTar(entries(items, opts, body), { onPatch: opts.onPatch, onBody: (o) => { body.offset = o; } }).pipeThrough(abortable(opts.signal));
}

/** Writes the archive into a sink (a file, an OPFS writable, a response body); resolves when it is closed. */
export async function writeDockerArchiveTo(items: ArchiveItem[], sink: WritableStream<Uint8Array>, opts: WriteArchiveOptions = {}): Promise<void> {
  await writeDockerArchive(items, opts).pipeTo(sink, { signal: opts.signal });
}

/** A sink that can write at an offset: a FileSystemWritableFileStream, a file handle. */
export interface SeekableSink {
  /** appends at the current end */
  write(chunk: Uint8Array): Promise<void>;
  /** writes over bytes already written */
  writeAt(position: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/**
 * Writes the archive into a sink that can seek, in one pass: layers stream from their source without a
 * pass to learn their sizes, and their tar headers are written over at the end. Same bytes as
 * writeDockerArchive. On failure the sink is aborted (a FileSystemWritableFileStream then leaves the
 * file as it was). Resolves to the archive's size in bytes.
 */
export async function writeDockerArchiveToSeekable(items: ArchiveItem[], sink: SeekableSink, opts: Omit<WriteArchiveOptions, 'onPatch' | 'onRepair'> = {}): Promise<number> {
  const patches: [number, Uint8Array][] = [];
  const repairs: [number, Promise<ReadableStream<Uint8Array> | undefined>][] = [];
  let n = 0;
  try {
    const reader = writeDockerArchive(items, { ...opts, onPatch: (o, h) => { patches.push([o, h]); }, onRepair: (o, fix) => { fix.catch(() => {}); repairs.push([o, fix]); } }).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      await sink.write(r.value);
      n += r.value.byteLength;
    }
    for (const [o, h] of patches) await sink.writeAt(o, h);
    // cached bytes that did not hash to their layer's digest: the right ones (same length) over them
    for (const [o, fix] of repairs) {
      const right = await fix;
      if (!right) continue;
      let at = o;
      const r = right.getReader();
      for (let c = await r.read(); !c.done; c = await r.read()) { await sink.writeAt(at, c.value); at += c.value.byteLength; }
    }
  } catch (e) {
    await sink.abort(e).catch(() => {});
    throw e;
  }
  await sink.close();
  return n;
}

/** Writes a FileSystemWritableFileStream sink has in flight at once. */
const WRITES_AHEAD = 4;

/**
 * A SeekableSink over a FileSystemWritableFileStream (the save picker's or an OPFS file's), appending in writes
 * of at least `minBytes` (each write is a round trip to the browser). Up to `ahead` writes are in flight at
 * once, so the archive is made while the browser writes what came before instead of the two taking turns.
 * Smaller pieces are copied into a ring of `ahead` buffers of `minBytes`, made as first needed: one fills while
 * the others' writes are in flight, and a buffer is filled again only once its write has settled, so appending
 * allocates nothing per write.
 */
export function fileSystemWritableSink(w: FileSystemWritableFileStream, minBytes = 1 << 20, ahead = WRITES_AHEAD): SeekableSink {
  const buffers: Uint8Array[] = [];
  /** each buffer's write in flight */
  const writing: (Promise<void> | undefined)[] = [];
  /** the writes in flight, oldest first (writes settle in order) */
  const inFlight: Promise<void>[] = [];
  let cur = 0;
  let held = 0;
  let appending = true;
  /** waits until fewer than `ahead` writes are in flight (a failed one rejects here) */
  const room = async () => {
    while (inFlight.length >= ahead) await inFlight.shift();
  };
  const append = (data: Uint8Array): Promise<void> => {
    const p = w.write(data as Uint8Array<ArrayBuffer>);
    p.catch(() => {}); // awaited where it matters: when `ahead` are in flight, before its buffer is filled again, and by the next writeAt or close
    inFlight.push(p);
    return p;
  };
  /** writes the buffer being filled and moves to the next one of the ring, once that one's write has settled */
  const flush = async () => {
    if (held === 0) return;
    await room();
    writing[cur] = append(buffers[cur]!.subarray(0, held));
    cur = (cur + 1) % ahead;
    held = 0;
    await writing[cur];
  };
  const endAppends = async () => {
    if (!appending) return;
    await flush();
    appending = false;
    await Promise.all(inFlight.splice(0));
  };
  return {
    async write(chunk) {
      if (!appending) throw new CoreError('internal', 'an append after a write over bytes already written');
      if (chunk.byteLength >= minBytes) {
        // large enough on its own: written as it is (the caller hands it over), after what is held
        await flush();
        await room();
        append(chunk);
        return;
      }
      for (let off = 0; off < chunk.byteLength;) {
        const buf = (buffers[cur] ??= new Uint8Array(minBytes));
        const n = Math.min(minBytes - held, chunk.byteLength - off);
        buf.set(off === 0 && n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), held);
        held += n;
        off += n;
        if (held === minBytes) await flush();
      }
    },
    async writeAt(position, bytes) {
      await endAppends();
      await w.write({ type: 'write', position, data: bytes as Uint8Array<ArrayBuffer> });
    },
    async close() {
      await endAppends();
      await w.close();
    },
    async abort(reason) {
      await w.abort(reason);
    },
  };
}

/**
 * What the solve and build workers are asked for (plain data, File and directory handles only), and how a
 * worker turns it into the pipeline's inputs: the base image (pulled through the proxy into OPFS, or read
 * from a picked tarball) and the fetch channels go through (the proxy, or a picked local folder).
 */
import { memoryBlobStore, type BlobStore, type RecordStore } from '../src/core/cache';
import { opfsBlobStore } from '../src/core/cache/opfs-store';
import { opfsRecordStore } from '../src/core/cache/record-store.opfs';
import { layerCache, type LayerCache } from '../src/core/pipeline/layer-cache';
import { catalogedBlobStore, catalogedLayerCache, catalogedRepodataStore, type CacheBodies } from './cache-admin';
import { openCatalog, type CacheCatalog } from './cache-catalog';
import { directoryHandleReader, localChannelFetch } from '../src/core/conda/local-channel';
import { rebuildVerifiedLock, type SharedLock } from '../src/core/conda/lock-share';
import { cachingFetch } from '../src/core/conda/repodata-cache';
import { opfsRepodataStore } from '../src/core/conda/repodata-store.opfs';
import type { Image } from '../src/core/image';
import type { Platform } from '../src/core/oci';
import { parsePlatformList } from '../src/core/pipeline/multi-platform';
import { openImage } from '../src/core/image/open';
import { proxiedFetch } from '../src/core/net/proxied-fetch';
import type { Credentials } from '../src/core/registry';
import { proxiedRegistryClient } from './registry-client';

/**
 * The base image: a reference (pulled through the proxy) for its platform (`os/arch[/variant]`; several,
 * comma-separated as the CLI's --platform takes them, for a multi-platform build), or a tarball.
 */
export type BaseInput = { ref: string; platform: string; creds?: Credentials } | { file: File };

/** A channel: a name or URL (through the proxy), or a local folder known by its `file:///name/` URL. */
export interface ChannelInput { url: string; folder?: FileSystemDirectoryHandle }

/** An environment to solve or build. */
export interface EnvironmentInput {
  base: BaseInput;
  channels: ChannelInput[];
  specs: string[];
  /** environment.yml's `pip:` list (requirements and index options; no local wheels: there are no local files) */
  pip?: string[];
  prefix?: string;
  strategy?: 'layered' | 'single';
  maxLayers?: number;
  variables?: Record<string, string>;
  /** an explicit lock's text: installed as is instead of solving (one platform) */
  lock?: string;
  /** explicit locks' texts, one per platform of the base in its order (Save again of a multi-platform build) */
  platformLocks?: string[];
  /**
   * a share link's locks, one per platform of the base in its order: rebuilt from the channels' repodata and
   * checked against their sha256 (see lockTextOf)
   */
  shared?: SharedLock[];
  /** the image's entrypoint, command and extra labels */
  image?: { entrypoint?: string[]; cmd?: string[]; labels?: Record<string, string> };
}

let store: Promise<{ blobs: BlobStore; persistent: boolean }> | undefined;
const stores = () => (store ??= opfsBlobStore().then((blobs) => ({ blobs, persistent: true }), () => ({ blobs: memoryBlobStore(), persistent: false })));
/** The worker's blob store: OPFS (verified blobs kept across sessions), memory where OPFS is missing. */
export const blobStore = async (): Promise<BlobStore> => (await stores()).blobs;

let catalog: CacheCatalog | undefined;
/**
 * The catalogued cache (bodies in OPFS, the catalog in IndexedDB), or undefined where OPFS is missing: then
 * caching is off (blobs live in memory for the worker's life, layers are always built).
 */
export async function cacheParts(): Promise<{ catalog: CacheCatalog; bodies: CacheBodies } | undefined> {
  const s = await stores();
  if (!s.persistent) return undefined;
  catalog ??= openCatalog();
  return { catalog, bodies: { blobs: s.blobs, layers: opfsRecordStore('layers'), repodata: opfsRepodataStore() } };
}

/** The blob store for bodies of `kind`: catalogued where the cache is on. */
export async function storeFor(kind: 'package' | 'base-blob'): Promise<BlobStore> {
  const parts = await cacheParts();
  return parts ? catalogedBlobStore(parts.bodies.blobs, parts.catalog, kind) : blobStore();
}

/** The layer cache (tars among the OPFS blobs, records in OPFS `layers/`), or undefined where OPFS is missing: caching is off. */
export async function workerLayerCache(): Promise<LayerCache | undefined> {
  const parts = await cacheParts();
  return parts && catalogedLayerCache(layerCache(parts.bodies.blobs, parts.bodies.layers), parts.catalog);
}

/**
 * The md5s and sizes of stored packages by sha256 (OPFS `package-md5/`), each taken in a read that verified the
 * package: a lock carries neither, and with this a rebuild whose layers are all cached reads no package.
 * Undefined where OPFS is missing.
 */
export async function workerPackageMd5s(): Promise<RecordStore | undefined> {
  return (await cacheParts()) ? opfsRecordStore('package-md5') : undefined;
}

/** An os/architecture[/variant] string as a platform. */
export function parsePlatform(p: string) {
  const [os, architecture, variant] = p.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The platforms a base names: several for a multi-platform build, one otherwise (none for a tarball, which has its own). */
export const basePlatforms = (base: BaseInput): Platform[] => ('file' in base ? [] : parsePlatformList(base.platform));

/** A base opened for one platform: the image, its manifest digest and the index's it was chosen from (if any). */
export interface OpenedBase { image: Image; platform?: Platform; manifestDigest: string; indexDigest?: string }

/** Opens the base once per platform it names (each its manifest for that platform), or the tarball's image (one resolver: openImage). */
export async function openBases(proxyBase: string, base: BaseInput, signal?: AbortSignal): Promise<OpenedBase[]> {
  const common = { store: await storeFor('base-blob'), ...(signal ? { signal } : {}) };
  if ('file' in base) {
    const { image } = await openImage(base.file, common);
    return [{ image, manifestDigest: await image.digest() }];
  }
  const client = proxiedRegistryClient(proxyBase, base.creds);
  return Promise.all(basePlatforms(base).map(async (platform) => {
    const opened = await openImage(base.ref, { ...common, client, platform });
    const index = opened.pulled?.indexDigest;
    return { image: opened.image, platform, manifestDigest: await opened.image.digest(), ...(index ? { indexDigest: index } : {}) };
  }));
}


// repodata kept between solves and builds: in memory while the worker lives, in OPFS across sessions
const repodataFetches = new Map<string, typeof fetch>();

/**
 * The fetches of an environment: `net` for packages (local folders read from their handles, the rest through
 * the proxy) and `repodata` (the same, cached). Local folder channels are never cached: they change freely.
 */
export function channelFetches(proxyBase: string, channels: ChannelInput[]): { net: typeof fetch; repodata: typeof fetch } {
  const proxied = proxiedFetch(proxyBase);
  const folders = channels.filter((c) => c.folder);
  if (folders.length) {
    const net = localChannelFetch(folders.map((c) => ({ url: c.url, reader: directoryHandleReader(c.folder!, c.url) })), proxied);
    return { net, repodata: cachingFetch(net) };
  }
  let repodata = repodataFetches.get(proxyBase);
  if (!repodata) {
    const cached = opfsRepodataStore();
    repodata = cachingFetch(proxied, { store: typeof indexedDB === 'undefined' ? cached : catalogedRepodataStore(cached, catalog ??= openCatalog()) });
    repodataFetches.set(proxyBase, repodata);
  }
  // the solver reads repodata with the global fetch where it is not given one: route that through the proxy too
  globalThis.fetch = proxied;
  return { net: proxied, repodata };
}

/**
 * The explicit lock an input installs for its platform number `i`: the pasted one, Save again's, or a share
 * link's rebuilt from the channels' repodata and verified against the link's sha256 (a mismatch is a
 * CoreError 'lock-mismatch'); none when it solves.
 */
export async function lockTextOf(input: EnvironmentInput, repodata: typeof fetch, i = 0): Promise<string | undefined> {
  if (input.lock) return input.lock;
  if (input.platformLocks) return input.platformLocks[i];
  const shared = input.shared?.[i];
  if (shared) return rebuildVerifiedLock(shared.packages, shared.subdir, shared.sha256, { fetch: repodata, ...(shared.wheels ? { wheels: shared.wheels } : {}) });
  return undefined;
}

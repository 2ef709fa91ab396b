/**
 * What the solve and build workers are asked for (plain data, File and directory handles only), and how a
 * worker turns it into the pipeline's inputs: the base image (pulled through the proxy into OPFS, or read
 * from a picked tarball) and the fetch channels go through (the proxy, or a picked local folder).
 */
import { memoryBlobStore, type BlobStore } from '../src/core/cache';
import { opfsBlobStore } from '../src/core/cache/opfs-store';
import { opfsRecordStore } from '../src/core/cache/record-store.opfs';
import { layerCache, type LayerCache } from '../src/core/pipeline/layer-cache';
import { directoryHandleReader, localChannelFetch } from '../src/core/conda/local-channel';
import { cachingFetch } from '../src/core/conda/repodata-cache';
import { opfsRepodataStore } from '../src/core/conda/repodata-store.opfs';
import type { Image } from '../src/core/image';
import { openImage } from '../src/core/image/open';
import { proxiedFetch } from '../src/core/net/proxied-fetch';
import type { Credentials } from '../src/core/registry';
import { proxiedRegistryClient } from './registry-client';

/** The base image: a reference (pulled through the proxy) or a tarball. */
export type BaseInput = { ref: string; platform: string; creds?: Credentials } | { file: File };

/** A channel: a name or URL (through the proxy), or a local folder known by its `file:///name/` URL. */
export interface ChannelInput { url: string; folder?: FileSystemDirectoryHandle }

/** An environment to solve or build. */
export interface EnvironmentInput {
  base: BaseInput;
  channels: ChannelInput[];
  specs: string[];
  prefix?: string;
  strategy?: 'layered' | 'single';
  maxLayers?: number;
  variables?: Record<string, string>;
  /** an explicit lock's text: installed as is instead of solving */
  lock?: string;
  /** the image's entrypoint, command and extra labels */
  image?: { entrypoint?: string[]; cmd?: string[]; labels?: Record<string, string> };
}

let store: Promise<{ blobs: BlobStore; persistent: boolean }> | undefined;
const stores = () => (store ??= opfsBlobStore().then((blobs) => ({ blobs, persistent: true }), () => ({ blobs: memoryBlobStore(), persistent: false })));
/** The worker's blob store: OPFS (verified blobs kept across sessions), memory where OPFS is missing. */
export const blobStore = async (): Promise<BlobStore> => (await stores()).blobs;

/** The layer cache (tars among the OPFS blobs, records in OPFS `layers/`), or undefined where OPFS is missing: caching is off. */
export async function workerLayerCache(): Promise<LayerCache | undefined> {
  const s = await stores();
  return s.persistent ? layerCache(s.blobs, opfsRecordStore('layers')) : undefined;
}

function parsePlatform(p: string) {
  const [os, architecture, variant] = p.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Opens the base image: the tarball's image, or the reference pulled for its platform (one resolver: openImage). */
export async function openBase(proxyBase: string, base: BaseInput, signal?: AbortSignal): Promise<Image> {
  const common = { store: await blobStore(), ...(signal ? { signal } : {}) };
  if ('file' in base) return (await openImage(base.file, common)).image;
  return (await openImage(base.ref, { ...common, client: proxiedRegistryClient(proxyBase, base.creds), platform: parsePlatform(base.platform) })).image;
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
  if (!repodata) repodataFetches.set(proxyBase, repodata = cachingFetch(proxied, { store: opfsRepodataStore() }));
  // the solver reads repodata with the global fetch where it is not given one: route that through the proxy too
  globalThis.fetch = proxied;
  return { net: proxied, repodata };
}

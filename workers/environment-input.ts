/**
 * What the solve and build workers are asked for (plain data, File and directory handles only), and how a
 * worker turns it into the pipeline's inputs: the base image (pulled through the proxy into OPFS, or read
 * from a picked tarball) and the fetch channels go through (the proxy, or a picked local folder).
 */
import { memoryBlobStore, type BlobStore } from '../src/core/cache';
import { opfsBlobStore } from '../src/core/cache/opfs-store';
import { directoryHandleReader, localChannelFetch } from '../src/core/conda/local-channel';
import { rebuildVerifiedLock, type SharedLock } from '../src/core/conda/lock-share';
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
  /** a share link's lock: rebuilt from the channels' repodata and checked against its sha256 (see lockTextOf) */
  shared?: SharedLock;
  /** the image's entrypoint, command and extra labels */
  image?: { entrypoint?: string[]; cmd?: string[]; labels?: Record<string, string> };
}

let store: Promise<BlobStore> | undefined;
/** The worker's blob store: OPFS (verified blobs kept across sessions), memory where OPFS is missing. */
export const blobStore = (): Promise<BlobStore> => (store ??= opfsBlobStore().catch(() => memoryBlobStore()));

/** An os/architecture[/variant] string as a platform. */
export function parsePlatform(p: string) {
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

/**
 * The explicit lock an input installs: the pasted one, or a share link's rebuilt from the channels' repodata
 * and verified against the link's sha256 (a mismatch is a CoreError 'lock-mismatch'); none when it solves.
 */
export async function lockTextOf(input: EnvironmentInput, repodata: typeof fetch): Promise<string | undefined> {
  if (input.lock) return input.lock;
  if (input.shared) return rebuildVerifiedLock(input.shared.packages, input.shared.subdir, input.shared.sha256, { fetch: repodata });
  return undefined;
}

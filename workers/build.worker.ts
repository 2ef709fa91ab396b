/**
 * The build worker: the Build view's long jobs, one at a time (its bridge queues them). It saves a base
 * image (pull through the CORS proxy into OPFS, then a docker-archive tar), builds environments
 * (workers/build-job.ts) and pushes what a build wrote (workers/push-job.ts). Cancelling a job terminates this worker; blobs already verified into OPFS stay
 * for the next run.
 */
import { expose } from 'comlink';
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../src/core/archive';
import { formatPlatform, type Platform } from '../src/core/oci';
import { openRegistryImage } from '../src/core/image/open';
import { isPrefetchable } from '../src/core/image/capabilities';
import type { Credentials } from '../src/core/registry';
import { storeFor } from './environment-input';
import { buildInWorker, type BuildOutput, type BuildProgress, type BuiltImage } from './build-job';
import { pushArchive, type PushedImage, type PushProgress } from './push-job';
import type { EnvironmentInput } from './environment-input';
import { registerErrorTransfer } from './error-transfer';
import { withCacheShared } from './cache-admin';
import { saveAgain } from './save-again';
import { trimCache } from './build-history';
import { proxiedRegistryClient } from './registry-client';
import { useSha256Offload } from '../src/core/digest';
import { hashWorkerPool } from './hash-pool';
import { useOffloadedGunzip } from '../src/core/compress';
import { gunzipWorkerPool } from './gunzip-pool';

registerErrorTransfer();
// long verified streams (a download stored into the cache, a layer checked against its diff_id here) are hashed on
// threads of their own
useSha256Offload(hashWorkerPool(2));
// a layer's gzip is decoded on a worker of its own, beside this thread's download, store and archive writes; a
// pulled layer's diff_id is hashed there too, as it is decoded
useOffloadedGunzip(gunzipWorkerPool(1));

/** Progress of a pull: bytes downloaded of all layer blobs so far (compressed, as stored in the registry). */
export interface PullProgress { done: number; total: number; blobs: number }

/** What a save wrote. */
export interface SavedImage {
  manifestDigest: string;
  /** os/architecture[/variant] of the image saved */
  platform: string;
  /** the tag written into the archive */
  ref: string;
  /** bytes of the tar */
  size: number;
  /** the tar itself when no file was picked (an OPFS file for the page to offer as a download) */
  file?: File;
}

/** Pulls `ref` for `platform` and writes a docker-archive to `handle`, or to an OPFS file returned for download. */
async function saveImage(proxyBase: string, ref: string, platform: Platform, creds: Credentials | undefined, handle: FileSystemFileHandle | undefined, onProgress?: (p: PullProgress) => void): Promise<SavedImage> {
  const c = proxiedRegistryClient(proxyBase, creds);
  const seen = new Map<string, [number, number]>();
  let last = 0;
  const pulled = await openRegistryImage(ref, {
    client: c,
    platform, store: await storeFor('base-blob'),
    onProgress: (d, b, t) => {
      seen.set(d, [b, t]);
      const now = Date.now();
      if (now - last < 100 || !onProgress) return;
      last = now;
      const [done, total] = [...seen.values()].reduce((a, [x, y]) => [a[0] + x, a[1] + y], [0, 0]);
      onProgress({ done, total, blobs: seen.size });
    },
  });
  // the first layer streams from the network into the archive (stored on the way); the others download meanwhile
  for (const l of (await pulled.image.layers()).slice(1)) if (isPrefetchable(l)) l.prefetch().catch(() => {});
  const tag = pulled.tags[0];
  let target = handle;
  if (!target) {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('exports', { create: true });
    target = await dir.getFileHandle('image.tar', { create: true });
  }
  await writeDockerArchiveToSeekable([{ image: pulled.image, tags: [tag] }], fileSystemWritableSink(await target.createWritable()));
  const file = await target.getFile();
  return { manifestDigest: pulled.manifestDigest, platform: formatPlatform(pulled.platform), ref: tag, size: file.size, file: handle ? undefined : file };
}

const api = {
  /**
   * Pulls `ref` for `platform` and writes a docker-archive to `handle` (a file the user picked) or, without
   * one, to an OPFS file that is returned for download. Credentials stay in this call's memory.
   */
  async saveImage(proxyBase: string, ref: string, platform: Platform, creds: Credentials | undefined, handle: FileSystemFileHandle | undefined, onProgress?: (p: PullProgress) => void): Promise<SavedImage> {
    // shared: the blobs it stores are catalogued, and a sweep or Clear waits for it
    return withCacheShared(() => saveImage(proxyBase, ref, platform, creds, handle, onProgress));
  },
  /**
   * Builds the environment (solve or lock, fetch, install, layers) on its base and writes the docker-archive
   * to `output.handle` or, without one, to an OPFS file returned for download.
   */
  async build(proxyBase: string, input: EnvironmentInput, output: BuildOutput, onProgress?: (p: BuildProgress) => void): Promise<BuiltImage> {
    // shared: tabs build at once; eviction and Clear wait until no build reads the cache
    const built = await withCacheShared(() => buildInWorker(proxyBase, input, output, onProgress));
    await trimCache().catch(() => {});
    return built;
  },
  /** Writes a build of the history again from the cache (its lock, its base by digest); see save-again.ts. */
  async saveAgain(proxyBase: string, id: number, handle: FileSystemFileHandle | undefined, onProgress?: (p: BuildProgress) => void): Promise<BuiltImage> {
    const built = await withCacheShared(() => saveAgain(proxyBase, id, handle, onProgress));
    await trimCache().catch(() => {});
    return built;
  },
  /**
   * Pushes the image of a built archive to `ref` through the proxy, skipping blobs the registry has; with
   * `platforms` (a multi-platform build's), each platform's image and an image index of them.
   */
  async push(proxyBase: string, archive: File, ref: string, creds: Credentials | undefined, onProgress?: (p: PushProgress) => void, platforms?: string[]): Promise<PushedImage> {
    return pushArchive(proxyBase, archive, ref, creds, onProgress, platforms);
  },
};
expose(api);
export type BuildApi = typeof api;
export type { BuildOutput, BuildProgress, BuiltImage, EnvironmentInput, PushedImage, PushProgress };

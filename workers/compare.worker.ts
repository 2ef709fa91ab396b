/**
 * The compare worker: two images (picked or dropped tarballs, or references pulled through the proxy)
 * opened with the one resolver and compared by the core's compareImages: layers shared, config changes,
 * conda packages added, removed and changed. Only the comparison (plain data) crosses back. The page
 * cancels a comparison by terminating this worker, so it shares it with nothing else.
 */
import { expose } from 'comlink';
import { compareImages, type ImageComparison, type ImageToCompare } from '../src/core/inspect/compare';
import { openImage } from '../src/core/image/open';
import type { Credentials } from '../src/core/registry';
import { parsePlatform, storeFor } from './environment-input';
import { withCacheShared } from './cache-admin';
import { registerErrorTransfer } from './error-transfer';
import { proxiedRegistryClient } from './registry-client';

registerErrorTransfer();

/** One side: an image tarball, or a reference (os/arch[/variant] platform, optional credentials). */
export type CompareSide = { file: File } | { ref: string; platform: string; creds?: Credentials };

async function openSide(proxyBase: string, side: CompareSide): Promise<ImageToCompare> {
  const store = await storeFor('base-blob');
  const opened = 'file' in side
    ? await openImage(side.file, { store })
    : await openImage(side.ref, { store, client: proxiedRegistryClient(proxyBase, side.creds), platform: parsePlatform(side.platform) });
  return {
    image: opened.image, tags: opened.source === 'registry' && 'ref' in side ? [side.ref] : opened.tags,
    ...(opened.manifestDigest ? { manifestDigest: opened.manifestDigest } : {}), ...(opened.platform ? { platform: opened.platform } : {}),
  };
}

const api = {
  /** Compares image `a` with image `b` (what changes going from A to B). */
  async compare(proxyBase: string, a: CompareSide, b: CompareSide): Promise<ImageComparison> {
    // shared: the blobs it stores are catalogued, and a sweep or Clear waits for it
    return withCacheShared(async () => {
      const [ia, ib] = [await openSide(proxyBase, a), await openSide(proxyBase, b)];
      return compareImages(ia, ib);
    });
  },
};
expose(api);
export type CompareApi = typeof api;
export type { ImageComparison };

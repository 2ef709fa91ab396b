/**
 * A push from the build worker: the archive a build wrote (an OPFS file or the file the user picked, read
 * lazily from disk, never whole in memory) opened as an image and pushed by the core's pushImage, the CLI's
 * own code: blobs the registry already has are skipped after a HEAD, the rest go up in chunks through the
 * proxy, then the manifest. Progress goes to the page throttled.
 */
import { CoreError } from '../src/core/errors';
import { openImage } from '../src/core/image/open';
import { pushImage, pushIndex, type Credentials, type PushResult } from '../src/core/registry';
import { parsePlatform } from './environment-input';
import { proxiedRegistryClient } from './registry-client';

/** A snapshot of a running push: bytes sent so far (compressed blobs as uploaded) and blobs uploaded. */
export interface PushProgress {
  /** bytes of blob bodies sent, all blobs together */
  sent: number;
  /** the blob being uploaded: its digest, bytes sent and size */
  current?: { digest: string; bytes: number; total: number };
}

/** What a push did. */
export interface PushedImage {
  /** the reference pushed to */
  ref: string;
  /** the manifest digest the registry holds */
  digest: string;
  /** bytes of blob bodies uploaded (0 when the registry had every blob) */
  uploadedBytes: number;
  blobs: PushResult['blobs'];
}

const THROTTLE_MS = 150;

/**
 * Pushes the image of `archive` (a docker-archive holding one image) to `ref`, or with `platforms` (a
 * multi-platform build's archive) each platform's image and an image index of them; credentials stay in this call.
 */
export async function pushArchive(proxyBase: string, archive: File, ref: string, creds: Credentials | undefined, onProgress?: (p: PushProgress) => void, platforms?: string[]): Promise<PushedImage> {
  const images = platforms && platforms.length > 1
    ? await Promise.all(platforms.map(async (p) => {
      const platform = parsePlatform(p);
      return { image: (await openImage(archive, { platform })).image, platform };
    }))
    : undefined;
  const opened = images ? undefined : await openImage(archive);
  const count = opened?.archive?.images.length ?? 1;
  if (count !== 1) throw new CoreError('invalid-argument', `${archive.name} holds ${count} images; a push takes one`);
  const done = new Map<string, number>();
  let last = 0;
  const client = proxiedRegistryClient(proxyBase, creds);
  const opts = {
    onProgress: (digest: string, bytes: number, total: number) => {
      done.set(digest, bytes);
      const now = Date.now();
      if (!onProgress || (now - last < THROTTLE_MS && bytes < total)) return;
      last = now;
      onProgress({ sent: [...done.values()].reduce((a, b) => a + b, 0), current: { digest, bytes, total } });
    },
  };
  const result = images ? await pushIndex(client, images, ref, opts) : await pushImage(client, opened!.image, ref, opts);
  const uploadedBytes = result.blobs.filter((b) => b.how === 'uploaded').reduce((a, b) => a + b.size, 0);
  return { ref, digest: result.digest, uploadedBytes, blobs: result.blobs };
}

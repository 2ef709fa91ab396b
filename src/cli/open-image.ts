/**
 * The CLI's side of openImage: paths on disk (an image tarball or an OCI layout folder) and the options
 * every command that takes an image shares (--platform, --creds, --insecure, --cache).
 */
import { join } from 'node:path';
import { spillToTempFile } from '../core/archive/spill.node.js';
import { CoreError } from '../core/errors';
import { openImage, type OpenedImage, type OpenImageOptions } from '../core/image/open';
import { defaultCacheDir, lazyFolderBlobStore, openImagePath } from '../core/image/open.node.js';
import type { Platform } from '../core/oci';
import type { Credentials } from '../core/registry';

/** Parses `user:password` (the password may contain ':'). */
export function parseCreds(s: string): Credentials {
  const i = s.indexOf(':');
  if (i <= 0) throw new CoreError('invalid-argument', '--creds wants user:password');
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new CoreError('invalid-argument', `--platform must look like linux/amd64 or linux/arm64/v8, not "${s}"`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The image options of a command line, as given. */
export interface ImageCliOptions {
  platform?: string;
  /** user:password */
  creds?: string;
  insecure?: boolean;
  /** the cache folder (pulled blobs go to its blobs/) */
  cache?: string;
  /** NAME:TAG of the image to take from an archive holding several */
  image?: string;
  /** how the command takes `image` (`--image`), named in the warning about a several-image archive */
  imageHint?: string;
  onProgress?: OpenImageOptions['onProgress'];
}

/** The openImage options a command line's flags give (the blob cache folder is made only when a pull needs it). */
export function imageOptions(o: ImageCliOptions): OpenImageOptions {
  const creds = o.creds ? parseCreds(o.creds) : undefined;
  return {
    openPath: openImagePath, spill: spillToTempFile, store: lazyFolderBlobStore(join(o.cache ?? defaultCacheDir(), 'blobs')),
    ...(o.platform ? { platform: parsePlatform(o.platform) } : {}), ...(creds ? { credentials: creds } : {}),
    ...(o.insecure ? { insecure: true } : {}), ...(o.image ? { image: o.image } : {}), ...(o.imageHint ? { imageHint: o.imageHint } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  };
}

/** openImage over a command line's BASE/IMAGE argument: a path on disk (file or folder) or a registry reference. */
export function openImageArg(ref: string, o: ImageCliOptions = {}): Promise<OpenedImage> {
  return openImage(ref, imageOptions(o));
}

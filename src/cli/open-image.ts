/**
 * The CLI's side of openImage: paths on disk (an image tarball or an OCI layout folder) and the options
 * every command that takes an image shares (--platform, --creds, --insecure, --cache).
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LayoutFolder } from '../core/archive';
import { spillToTempFile } from '../core/archive/spill.node.js';
import type { BlobStore } from '../core/cache';
import { folderBlobStore } from '../core/cache/blob-store.node.js';
import { kindOf, openFileBlob } from '../core/cache/file-blob.node.js';
import { CoreError } from '../core/errors';
import { openImage, type OpenedImage, type OpenImageOptions } from '../core/image/open';
import type { Platform } from '../core/oci';
import type { Credentials } from '../core/registry';
import { layoutFolderFromPath } from './layout-folder';

/** The default cache folder: $XDG_CACHE_HOME/docker-envs or ~/.cache/docker-envs. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'docker-envs');
}

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

/**
 * What is at `path`: a Blob over a file, a LayoutFolder over a folder, undefined when nothing is there;
 * anything else (a FIFO, a socket, a device) is CoreError 'invalid-argument' naming it.
 */
export async function openImagePath(path: string): Promise<Blob | LayoutFolder | undefined> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CoreError('invalid-argument', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (st.isDirectory()) return layoutFolderFromPath(path);
  if (st.isFile()) return openFileBlob(path);
  throw new CoreError('invalid-argument', `${path} is neither a file nor a folder (${kindOf(st)}): give an image tarball, an OCI layout folder or a registry reference`);
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
    openPath: openImagePath, spill: spillToTempFile, store: lazyFolderStore(join(o.cache ?? defaultCacheDir(), 'blobs')),
    ...(o.platform ? { platform: parsePlatform(o.platform) } : {}), ...(creds ? { credentials: creds } : {}),
    ...(o.insecure ? { insecure: true } : {}), ...(o.image ? { image: o.image } : {}), ...(o.imageHint ? { imageHint: o.imageHint } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  };
}

/** openImage over a command line's BASE/IMAGE argument: a path on disk (file or folder) or a registry reference. */
export function openImageArg(ref: string, o: ImageCliOptions = {}): Promise<OpenedImage> {
  return openImage(ref, imageOptions(o));
}

/** A folderBlobStore whose folder is created on first use. */
function lazyFolderStore(dir: string): BlobStore {
  let store: BlobStore | undefined;
  const get = () => (store ??= folderBlobStore(dir));
  return { has: (d) => get().has(d), get: (d) => get().get(d), put: (d, s, size) => get().put(d, s, size), delete: (d) => get().delete(d) };
}

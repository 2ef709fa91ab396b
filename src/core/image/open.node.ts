/**
 * The Node side of openImage: what a path on disk holds (an image tarball or an OCI layout folder), and the
 * default cache folder pulled blobs and fetched packages are kept in. Used by the CLI and the Node library entry.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LayoutFolder } from '../archive';
import { layoutFolderFromPath } from '../archive/layout-folder.node.js';
import type { BlobStore } from '../cache';
import { folderBlobStore } from '../cache/blob-store.node.js';
import { kindOf, openFileBlob } from '../cache/file-blob.node.js';
import { CoreError } from '../errors';

/** The default cache folder: $XDG_CACHE_HOME/docker-envs or ~/.cache/docker-envs. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'docker-envs');
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

/** A folderBlobStore whose folder is created on first use (a command that never pulls leaves no folder behind). */
export function lazyFolderBlobStore(dir: string): BlobStore {
  let store: BlobStore | undefined;
  const get = () => (store ??= folderBlobStore(dir));
  return { has: (d) => get().has(d), get: (d) => get().get(d), put: (d, s, size) => get().put(d, s, size), delete: (d) => get().delete(d) };
}

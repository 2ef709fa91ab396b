/**
 * File-backed Blobs (`fs.openAsBlob`) that remember their path. Node cannot post such a Blob to a worker
 * thread ("File-backed Blobs are not cloneable"), so what hands work to workers passes the path instead.
 */
import { openAsBlob } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { CoreError } from '../errors';

const paths = new WeakMap<Blob, string>();

/** fs.openAsBlob, remembering the path. */
export async function openFileBlob(path: string): Promise<Blob> {
  const b = await openAsBlob(path);
  paths.set(b, path);
  return b;
}

/** The file behind a Blob made by openFileBlob, if any. */
export function fileOfBlob(b: Blob): string | undefined {
  return paths.get(b);
}

/**
 * openFileBlob for a file that must be a regular file: a FIFO, socket, device or directory is refused
 * with CoreError 'archive-invalid' before it is opened, since opening a FIFO blocks until a writer comes
 * (a read that never ends). Symlinks are followed unless `follow` is false (then a link is refused too).
 * `what` names the file in the error.
 */
export async function openRegularFileBlob(path: string, what = path, follow = true): Promise<Blob> {
  const st = follow ? await stat(path) : await lstat(path);
  if (!st.isFile()) throw new CoreError('archive-invalid', `${what} is ${kindOf(st)}, not a regular file: refusing to read it`);
  return openFileBlob(path);
}

/** Names what a stat result is, for errors ("a directory", "a FIFO"...). */
export function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/**
 * File-backed Blobs (`fs.openAsBlob`) that remember their path. Node cannot post such a Blob to a worker
 * thread ("File-backed Blobs are not cloneable"), so what hands work to workers passes the path instead.
 */
import { openAsBlob } from 'node:fs';

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

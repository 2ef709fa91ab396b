/**
 * A BlobStore in the browser's origin-private file system (OPFS): `blobs/sha256/<hex>`, written to a
 * temporary name and moved to the digest name only once the whole stream was verified.
 */
import { digestHex, verifyingStream, type Digest } from '../digest';
import { coalesce } from '../stream';
import type { BlobStore } from './blob-store';

type Dir = FileSystemDirectoryHandle;

async function dirPath(root: Dir, ...names: string[]): Promise<Dir> {
  let d = root;
  for (const n of names) d = await d.getDirectoryHandle(n, { create: true });
  return d;
}


/** A BlobStore over OPFS (a Worker or a page in a secure context). */
export async function opfsBlobStore(root?: Dir): Promise<BlobStore> {
  const dir = await dirPath(root ?? await navigator.storage.getDirectory(), 'blobs', 'sha256');
  const file = async (d: Digest) => dir.getFileHandle(digestHex(d)).then((h) => h.getFile(), () => undefined);
  return {
    async has(d) { return (await file(d)) !== undefined; },
    get: file,
    async put(d, stream, size) {
      const existing = await file(d);
      if (existing) { await stream.cancel(); return existing; }
      // unique across the tabs and workers sharing the folder
      const tmpName = `${digestHex(d)}.tmp-${crypto.randomUUID()}`;
      const tmp = await dir.getFileHandle(tmpName, { create: true });
      try {
        const w = await tmp.createWritable();
        await stream.pipeThrough(verifyingStream(d, size)).pipeThrough(coalesce()).pipeTo(w);
        // moving onto a name another tab stored meanwhile would replace that file, and every File already
        // read from it would then fail ("could not be read"): check and move under one lock per digest
        const settle = async (): Promise<File | undefined> => {
          const stored = await file(d);
          if (stored) { await dir.removeEntry(tmpName).catch(() => {}); return stored; }
          await (tmp as FileSystemFileHandle & { move(name: string): Promise<void> }).move(digestHex(d));
          return undefined;
        };
        const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
        const stored = locks ? await locks.request(`docker-envs-blob-${digestHex(d)}`, settle) : await settle();
        if (stored) return stored;
      } catch (e) {
        await dir.removeEntry(tmpName).catch(() => {});
        // another tab or worker stored the same digest meanwhile (the move found the name taken): same bytes
        const stored = await file(d);
        if (stored && !(e instanceof Error && e.name === 'QuotaExceededError')) return stored;
        throw e;
      }
      return (await file(d))!;
    },
    async delete(d) { await dir.removeEntry(digestHex(d)).catch(() => {}); },
  };
}

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

const stored = (dir: Dir, d: Digest): Promise<File | undefined> => dir.getFileHandle(digestHex(d)).then((h) => h.getFile(), () => undefined);

/**
 * Moves a verified temporary file to its digest name, or drops it when another tab or worker stored the same
 * digest meanwhile; resolves with the stored file. Moving onto a name another tab stored meanwhile would replace
 * that file, and every File already read from it would then fail ("could not be read"): check and move under
 * one lock per digest.
 */
async function settle(dir: Dir, tmp: FileSystemFileHandle, d: Digest): Promise<File> {
  const move = async (): Promise<void> => {
    if (await stored(dir, d)) { await dir.removeEntry(tmp.name).catch(() => {}); return; }
    await (tmp as FileSystemFileHandle & { move(name: string): Promise<void> }).move(digestHex(d));
  };
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) await locks.request(`docker-envs-blob-${digestHex(d)}`, move); else await move();
  return (await stored(dir, d))!;
}

/** A failed write: its temporary file removed; the stored file when another writer stored the same digest meanwhile (same bytes), else `e` again. */
async function failed(dir: Dir, tmpName: string, d: Digest | undefined, e: unknown): Promise<File> {
  // an aborted writable can settle before the browser lets go of its file: removing it then fails
  // (NoModificationAllowedError), so a few tries, a little apart; the start-up sweep takes what is left
  for (let tries = 0; tries < 8; tries++) {
    const gone = await dir.removeEntry(tmpName).then(() => true, (err: unknown) => err instanceof Error && err.name === 'NotFoundError');
    if (gone) break;
    await new Promise((ok) => setTimeout(ok, 25 << tries));
  }
  const other = d && await stored(dir, d);
  if (other && !(e instanceof Error && e.name === 'QuotaExceededError')) return other;
  throw e;
}

/** Bytes gathered before a write through a sync access handle (one buffer, written again and again). */
const STAGE_BYTES = 1024 * 1024;

interface SyncHandle { write(b: Uint8Array, o: { at: number }): number; truncate(n: number): void; flush(): void; close(): void }

/**
 * Writes `stream` into `file`: through a sync access handle where the thread has them (a dedicated worker: the
 * bytes go to the file from this thread with no copy to another process), else through a writable in writes
 * of at least 1 MiB. An error of the stream rejects, the stream cancelled.
 *
 * Through a sync access handle every chunk is copied into one staging buffer of STAGE_BYTES, which alone is
 * handed to the handle: small pieces (a tar's headers and paddings, small files) make one write instead of a
 * system call each, and no chunk's own buffer reaches the browser's API. A buffer handed to the browser's API
 * may stay referenced by the browser until the next garbage collection, so freeNow cannot give it back early:
 * a layer job's payload buffers, whose file bodies are the chunks of its tar, would then stay in memory after
 * their job (no longer counted by the collector's pacing) until a collection that nothing prompts.
 */
async function writeStream(file: FileSystemFileHandle, stream: ReadableStream<Uint8Array>): Promise<void> {
  const open = (file as unknown as { createSyncAccessHandle?: () => Promise<SyncHandle> }).createSyncAccessHandle;
  if (!open) {
    await stream.pipeThrough(coalesce()).pipeTo(await file.createWritable());
    return;
  }
  const reader = stream.getReader();
  try {
    const h = await open.call(file);
    try {
      let at = 0;
      const write = (b: Uint8Array) => {
        for (let off = 0; off < b.byteLength;) off += h.write(off ? b.subarray(off) : b, { at: at + off });
        at += b.byteLength;
      };
      let staged: Uint8Array | undefined;
      let held = 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        const b = r.value;
        for (let off = 0; off < b.byteLength;) {
          staged ??= new Uint8Array(STAGE_BYTES);
          const n = Math.min(STAGE_BYTES - held, b.byteLength - off);
          staged.set(off === 0 && n === b.byteLength ? b : b.subarray(off, off + n), held);
          held += n;
          off += n;
          if (held === STAGE_BYTES) { write(staged); held = 0; }
        }
      }
      if (held > 0) write(staged!.subarray(0, held));
      h.flush();
    } finally {
      h.close();
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  }
}

/**
 * Stores a stream whose digest is known only once it has ended (a layer's tar, hashed as it is made): it is
 * written to a temporary name in the store's folder as it comes (writeStream), then moved to the digest
 * `hashed` gives (the hash of exactly the bytes that went through). Nothing of it is held in memory but the
 * chunk being written.
 */
export async function opfsPutHashed(stream: ReadableStream<Uint8Array>, hashed: Promise<{ digest: Digest; size: number }>, root?: Dir): Promise<File> {
  const dir = await dirPath(root ?? await navigator.storage.getDirectory(), 'blobs', 'sha256');
  const tmpName = `layer.tmp-${crypto.randomUUID()}`;
  const tmp = await dir.getFileHandle(tmpName, { create: true });
  let d: Digest | undefined;
  try {
    await writeStream(tmp, stream);
    const { digest, size } = await hashed;
    d = digest;
    const file = await tmp.getFile();
    if (file.size !== size) throw new Error(`the stored file holds ${file.size} bytes of ${size}`);
    return await settle(dir, tmp, digest);
  } catch (e) {
    await stream.cancel(e).catch(() => {});
    return failed(dir, tmpName, d, e);
  }
}

/** A BlobStore over OPFS (a Worker or a page in a secure context). */
export async function opfsBlobStore(root?: Dir): Promise<BlobStore> {
  const dir = await dirPath(root ?? await navigator.storage.getDirectory(), 'blobs', 'sha256');
  const file = (d: Digest) => stored(dir, d);
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
        await writeStream(tmp, stream.pipeThrough(verifyingStream(d, size)));
        return await settle(dir, tmp, d);
      } catch (e) {
        return failed(dir, tmpName, d, e);
      }
    },
    async delete(d) { await dir.removeEntry(digestHex(d)).catch(() => {}); },
  };
}

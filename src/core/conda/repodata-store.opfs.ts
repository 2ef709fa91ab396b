/**
 * Cached channel metadata kept between sessions in the browser's origin-private file system (OPFS), the
 * browser's counterpart of the CLI's cache folder: `repodata/<sha256 of the URL>`, written to a temporary name
 * and moved, so a reader never sees half a file. Layout as in the folder store: 4-byte big-endian header
 * length, JSON header (key, status, content type, time), body.
 */
import { digestHex, sha256 } from '../digest';
import type { CachedResponse, RepodataStore } from './repodata-cache';

type Dir = FileSystemDirectoryHandle;

/** A RepodataStore in OPFS (a Worker or a page in a secure context); `root` defaults to the origin's OPFS root. */
export function opfsRepodataStore(root?: Dir): RepodataStore {
  let dir: Promise<Dir> | undefined;
  const folder = () => (dir ??= (async () => (root ?? await navigator.storage.getDirectory()).getDirectoryHandle('repodata', { create: true }))());
  const name = async (key: string) => digestHex(await sha256(key));
  return {
    async get(key) {
      let raw: Uint8Array;
      try {
        const file = await (await (await folder()).getFileHandle(await name(key))).getFile();
        raw = new Uint8Array(await file.arrayBuffer());
      } catch {
        return undefined;
      }
      if (raw.length < 4) return undefined;
      const n = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
      let head: Omit<CachedResponse, 'body'> & { key: string };
      // a damaged entry is a miss: fetched again and written over
      try { head = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + n))) as typeof head; } catch { return undefined; }
      if (head?.key !== key || typeof head.status !== 'number') return undefined;
      return { status: head.status, fetchedAt: head.fetchedAt, ...(head.contentType ? { contentType: head.contentType } : {}), body: raw.subarray(4 + n) };
    },
    async put(key, value) {
      const d = await folder();
      const final = await name(key);
      const head = new TextEncoder().encode(JSON.stringify({ key, status: value.status, fetchedAt: value.fetchedAt, contentType: value.contentType }));
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, head.length);
      const tmpName = `${final}.tmp-${crypto.randomUUID()}`;
      const tmp = await d.getFileHandle(tmpName, { create: true });
      try {
        const w = await tmp.createWritable();
        await w.write(new Blob([len, head, value.body as Uint8Array<ArrayBuffer>]));
        await w.close();
        await (tmp as FileSystemFileHandle & { move(name: string): Promise<void> }).move(final);
      } catch (e) {
        await d.removeEntry(tmpName).catch(() => {});
        throw e;
      }
    },
    async delete(key) { await (await folder()).removeEntry(await name(key)).catch(() => {}); },
  };
}

/**
 * A RecordStore in the browser's origin-private file system (OPFS): `<folder>/<key>.json`. A writable's
 * bytes replace the file only when it is closed, so a reader (another tab too) never sees half a record.
 */
import { checkRecordKey, type RecordStore } from './record-store';

type Dir = FileSystemDirectoryHandle;

/** A RecordStore in OPFS folder `name` under `root` (default: the origin's OPFS root). */
export function opfsRecordStore(name: string, root?: Dir): RecordStore {
  let dir: Promise<Dir> | undefined;
  const folder = () => (dir ??= (async () => (root ?? await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true }))());
  const file = (k: string) => `${checkRecordKey(k)}.json`;
  return {
    async read(k) {
      try {
        return await (await (await (await folder()).getFileHandle(file(k))).getFile()).text();
      } catch {
        return undefined;
      }
    },
    async write(k, text) {
      const w = await (await (await folder()).getFileHandle(file(k), { create: true })).createWritable();
      try {
        await w.write(text);
        await w.close();
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
    },
    async remove(k) { await (await folder()).removeEntry(file(k)).catch(() => {}); },
    async keys() {
      const out: string[] = [];
      for await (const n of (await folder() as Dir & { keys(): AsyncIterable<string> }).keys()) if (/^[0-9a-f]+\.json$/.test(n)) out.push(n.slice(0, -5));
      return out;
    },
  };
}

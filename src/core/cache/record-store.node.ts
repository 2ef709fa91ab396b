/** A RecordStore in a folder (Node): `<dir>/<key>.json`, written as a temporary file and renamed. */
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRecordKey, type RecordStore } from './record-store';

let counter = 0;

/** A RecordStore over a folder (created now); concurrent writers of one key leave one whole record. */
export function folderRecordStore(dir: string): RecordStore {
  mkdirSync(dir, { recursive: true });
  const path = (k: string) => join(dir, `${checkRecordKey(k)}.json`);
  return {
    async read(k) { return readFile(path(k), 'utf8').catch(() => undefined); },
    async write(k, text) {
      const tmp = `${path(k)}.tmp-${process.pid}-${++counter}`;
      try {
        await writeFile(tmp, text, { flag: 'wx' });
        await rename(tmp, path(k));
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    async remove(k) { await rm(path(k), { force: true }); },
    async keys() { return (await readdir(dir)).filter((n) => /^[0-9a-f]+\.json$/.test(n)).map((n) => n.slice(0, -5)); },
  };
}

/**
 * A folder that keeps cached channel metadata between runs (Node: the CLI's cache folder). One file per URL,
 * named by the sha256 of the URL; written to a temporary name and renamed, so a reader never sees half a file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CachedResponse, RepodataStore } from './repodata-cache';

/** A RepodataStore over `dir` (created when first written). */
export function folderRepodataStore(dir: string): RepodataStore {
  const file = (key: string) => join(dir, createHash('sha256').update(key).digest('hex'));
  return {
    async get(key) {
      let raw: Buffer;
      try { raw = await readFile(file(key)); } catch { return undefined; }
      // layout: 4-byte header length, JSON header (key, status, content type, time), body
      if (raw.length < 4) return undefined;
      const n = raw.readUInt32BE(0);
      let head: Omit<CachedResponse, 'body'> & { key: string };
      // a damaged entry is a miss: fetched again and written over
      try { head = JSON.parse(raw.subarray(4, 4 + n).toString('utf8')) as typeof head; } catch { return undefined; }
      if (head?.key !== key || typeof head.status !== 'number') return undefined;
      return { status: head.status, fetchedAt: head.fetchedAt, ...(head.contentType ? { contentType: head.contentType } : {}), body: new Uint8Array(raw.subarray(4 + n)) };
    },
    async put(key, value) {
      await mkdir(dir, { recursive: true });
      const head = Buffer.from(JSON.stringify({ key, status: value.status, fetchedAt: value.fetchedAt, contentType: value.contentType }));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(head.length);
      const tmp = `${file(key)}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, Buffer.concat([len, head, value.body]));
      await rename(tmp, file(key));
    },
  };
}

/** A BlobStore in a folder (Node): `<dir>/sha256/<hex>`, written as `<hex>.tmp-…` and renamed once verified. */
import { existsSync, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestHex, verifyingStream, type Digest } from '../digest';
import type { BlobStore } from './blob-store';
import { openFileBlob } from './file-blob.node.js';

let counter = 0;

/** A BlobStore over a folder; concurrent puts of the same digest are safe (the last rename wins, same bytes). */
export function folderBlobStore(dir: string): BlobStore {
  const root = join(dir, 'sha256');
  mkdirSync(root, { recursive: true });
  const path = (d: Digest) => join(root, digestHex(d));
  return {
    async has(d) { return existsSync(path(d)); },
    async get(d) { return existsSync(path(d)) ? openFileBlob(path(d)) : undefined; },
    async put(d, stream, size) {
      const final = path(d);
      if (existsSync(final)) { await stream.cancel(); return openFileBlob(final); }
      const tmp = `${final}.tmp-${process.pid}-${++counter}`;
      // the file exists before any byte flows, so a failure can always remove it (no late open after rm)
      const fh = await open(tmp, 'wx');
      try {
        await pipeline(Readable.fromWeb(stream.pipeThrough(verifyingStream(d, size)) as import('node:stream/web').ReadableStream), fh.createWriteStream());
        await rename(tmp, final);
      } catch (e) {
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
        throw e;
      }
      return openFileBlob(final);
    },
    async delete(d) { await rm(path(d), { force: true }); },
  };
}

/**
 * Node: writes a docker-archive into a file in one pass. The file can seek, so each layer streams
 * straight from its source (decompressed and verified on the way) without a pass to learn its size;
 * the tar headers are fixed up at the end. Same bytes as writeDockerArchive's stream.
 */
import { open, rename, rm } from 'node:fs/promises';
import { writeDockerArchive, type ArchiveWriteItem, type WriteArchiveOptions } from './write';

/**
 * Writes the archive to `path`; resolves to its size in bytes. It is written under a temporary name
 * beside `path` and renamed once complete: a failed write (a digest mismatch, a dropped connection)
 * leaves no partial archive and keeps an existing file at `path` as it was.
 */
export async function writeDockerArchiveToFile(items: ArchiveWriteItem[], path: string, opts: Omit<WriteArchiveOptions, 'onPatch'> = {}): Promise<number> {
  const patches: [number, Uint8Array][] = [];
  const partial = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  const fh = await open(partial, 'wx');
  let at = 0;
  let ok = false;
  try {
    const stream = writeDockerArchive(items, { ...opts, onPatch: (offset, header) => { patches.push([offset, header]); } });
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      for (let off = 0; off < buf.byteLength;) {
        const { bytesWritten } = await fh.write(buf, off, buf.byteLength - off, at);
        off += bytesWritten;
        at += bytesWritten;
      }
    };
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= 1 << 20) await flush();
    }
    await flush();
    for (const [offset, header] of patches) await fh.write(header, 0, header.byteLength, offset);
    ok = true;
  } finally {
    await fh.close();
    if (ok) await rename(partial, path);
    else await rm(partial, { force: true });
  }
  return at;
}

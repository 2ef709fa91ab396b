/**
 * Node: writes a docker-archive into a file in one pass. The file can seek, so each layer streams
 * straight from its source (decompressed and verified on the way) without a pass to learn its size;
 * the tar headers are fixed up at the end. Same bytes as writeDockerArchive's stream.
 */
import { rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { fileAppender } from '../stream/file-appender.node.js';
import { writeDockerArchiveToSeekable, type ArchiveItem, type SeekableSink, type WriteArchiveOptions } from './write';

/** A SeekableSink over a new file, appending in writes of about 1 MiB. */
async function fileSink(path: string): Promise<SeekableSink> {
  const fh = await open(path, 'wx');
  const out = fileAppender(fh);
  return {
    write: (chunk) => out.append(chunk),
    writeAt: (position, bytes) => out.writeAt(position, bytes),
    async close() {
      await out.finish();
      await fh.close();
    },
    async abort() {
      await out.settle();
      await fh.close();
    },
  };
}

/** Partial files still being written: a process that exits meanwhile (process.exit, a signal handler) removes them. */
const unfinished = new Set<string>();
let exitHooked = false;

function removeOnExit(path: string): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => { for (const p of unfinished) rmSync(p, { force: true }); });
  }
  unfinished.add(path);
}

/**
 * Writes the archive to `path`; resolves to its size in bytes. It is written under a temporary name
 * beside `path` and renamed once complete: a failed write (a digest mismatch, a dropped connection)
 * leaves no partial archive and keeps an existing file at `path` as it was; so does a process that exits
 * while writing (the CLI exits so on SIGINT and SIGTERM).
 */
export async function writeDockerArchiveToFile(items: ArchiveItem[], path: string, opts: Omit<WriteArchiveOptions, 'onPatch'> = {}): Promise<number> {
  const partial = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  removeOnExit(partial);
  try {
    const n = await writeDockerArchiveToSeekable(items, await fileSink(partial), opts);
    await rename(partial, path);
    return n;
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    unfinished.delete(partial);
  }
}

/**
 * Node helper: stores a decompressed outer tar in a temporary file and returns it as a file-backed
 * Blob (`fs.openAsBlob`), so a gzip-wrapped save is never held in memory. Files are removed when
 * the process exits, or earlier with `removeSpilledFiles()`.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openFileBlob } from '../cache/file-blob.node.js';

const dirs = new Set<string>();
let hooked = false;

/** Removes every temporary file spillToTempFile made in this process. */
export function removeSpilledFiles(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Writes the stream to a new temporary file (under `dir`, default the OS temp dir) and returns a Blob over it. */
export async function spillToTempFile(stream: ReadableStream<Uint8Array>, dir = tmpdir()): Promise<Blob> {
  const d = await mkdtemp(join(dir, 'docker-envs-spill-'));
  dirs.add(d);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeSpilledFiles);
  }
  const path = join(d, 'archive.tar');
  try {
    await stream.pipeTo(Writable.toWeb(createWriteStream(path)) as WritableStream<Uint8Array>);
  } catch (e) {
    rmSync(d, { recursive: true, force: true });
    dirs.delete(d);
    throw e;
  }
  return openFileBlob(path);
}

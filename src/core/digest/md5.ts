/**
 * md5 of a Blob, streamed (hash-wasm). Only for records conda keeps it in (conda-meta's `md5`): never a
 * check of integrity, which is sha256's job everywhere in this project.
 */
import { createMD5, type IHasher } from 'hash-wasm';

/** Instances reused on this thread: each `createMD5()` is a new WebAssembly instance (see digest.ts). */
const idle: IHasher[] = [];

/** Lowercase hex md5 of the blob's bytes, read as a stream. */
export async function md5Hex(blob: Blob): Promise<string> {
  const h = idle.pop() ?? await createMD5();
  h.init();
  const reader = blob.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) h.update(r.value);
  const hex = h.digest('hex');
  if (idle.length < 4) idle.push(h);
  return hex;
}

/**
 * md5 of a Blob, streamed (hash-wasm). Only for records conda keeps it in (conda-meta's `md5`): never a
 * check of integrity, which is sha256's job everywhere in this project.
 */
import { createMD5 } from 'hash-wasm';

/** Lowercase hex md5 of the blob's bytes, read as a stream. */
export async function md5Hex(blob: Blob): Promise<string> {
  const h = await createMD5();
  const reader = blob.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) h.update(r.value);
  return h.digest('hex');
}

/**
 * md5 of a Blob, streamed (hash-wasm). Only for records conda keeps it in (conda-meta's `md5`): never a
 * check of integrity, which is sha256's job everywhere in this project.
 */
import { createMD5, type IHasher } from 'hash-wasm';

/** A source of incremental md5 state (same shape as a Sha256Engine's): `update` bytes, then `hex()` once. */
export type Md5Engine = () => { update(chunk: Uint8Array): void; hex(): string };

let engine: Md5Engine | undefined;

/** Replaces the md5 implementation (hash-wasm by default); Node installs its native one from `md5.node.ts`. */
export function useMd5Engine(e: Md5Engine | undefined): void {
  engine = e;
}

/** Instances reused on this thread: each `createMD5()` is a new WebAssembly instance (see digest.ts). */
const idle: IHasher[] = [];

/** An incremental md5: `update` bytes, then `hex()` once. */
export async function createMd5(): Promise<{ update(chunk: Uint8Array): void; hex(): string }> {
  if (engine) return engine();
  const h = idle.pop() ?? await createMD5();
  h.init();
  return {
    update(chunk) { h.update(chunk); },
    hex() {
      const hex = h.digest('hex');
      if (idle.length < 4) idle.push(h);
      return hex;
    },
  };
}

/** Lowercase hex md5 of the blob's bytes, read as a stream. */
export async function md5Hex(blob: Blob): Promise<string> {
  const h = await createMd5();
  const reader = blob.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) h.update(r.value);
  return h.hex();
}

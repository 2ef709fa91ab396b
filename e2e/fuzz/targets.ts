/**
 * What the fuzzer drives, one function per reader, each with its bounds lowered (`limit` bytes):
 * - archive: readImageArchive, then the inspect listing of every layer and the merged view (summarizeArchive)
 * - conda: openCondaPackage, then installPackage with every entry body read
 * - repodata: loadRepodata over a fake channel serving the mutated file (zstd, bzip2, JSON, CEP-16 shards),
 *   parseRepodata on the mutated JSON document, and normalizeShard on shard files
 * Each resolves on a clean result and rejects with whatever the reader threw. gzip is decoded as in the CLI.
 */
import { readImageArchive } from '../../src/core/archive';
import { useNodeGunzip } from '../../src/core/compress/gunzip.node.js';
import { installPackage, loadRepodata, normalizeShard, openCondaPackage, parseRepodata } from '../../src/core/conda';
import { summarizeArchive } from '../../src/core/inspect';
import type { TarWriteEntry } from '../../src/core/tar';
import type { RepodataSeed } from './seeds';

// gzip as the CLI decodes it (zlib, large chunks): Node's DecompressionStream is neither the browser's
// decoder nor the CLI's, and spends most of a gzip bomb's time on 16 KiB round trips
useNodeGunzip();

/** The names of the fuzzed readers. */
export type TargetName = 'archive' | 'conda' | 'repodata';

/** Reads an image archive and lists and merges every layer of every image. */
export async function fuzzArchive(bytes: Uint8Array, limit: number, signal: AbortSignal): Promise<void> {
  const archive = await readImageArchive(new Blob([bytes as Uint8Array<ArrayBuffer>]), { maxBytes: limit });
  await summarizeArchive(archive, { merged: true, layerFiles: 'all', signal });
}

/** Opens a conda package and installs it, reading every entry's bytes. */
export async function fuzzConda(bytes: Uint8Array, fn: string, limit: number): Promise<void> {
  const pkg = await openCondaPackage(new Blob([bytes as Uint8Array<ArrayBuffer>]), fn, { maxBytes: limit });
  const inst = await installPackage(pkg, { pythonVersion: '3.12', epoch: 0 });
  for (const e of inst.entries) await entryBytes(e);
}

const dec = new TextDecoder();

/** Reads an entry's body to the end (bodies are bytes, Blobs or stream factories). */
async function entryBytes(e: TarWriteEntry): Promise<number> {
  if (e.body instanceof Uint8Array) return e.body.byteLength;
  if (e.body instanceof Blob) return (await e.body.arrayBuffer()).byteLength;
  if (e.body) return (await new Response(e.body()).arrayBuffer()).byteLength;
  return 0;
}

/** Loads repodata from a fake channel that serves `seed.files` with the first file replaced by `bytes`. */
export async function fuzzRepodata(seed: RepodataSeed, bytes: Uint8Array, limit: number): Promise<void> {
  const [first] = Object.keys(seed.files);
  const files = { ...seed.files, [first]: bytes };
  const fetch = async (url: string | URL | Request): Promise<Response> => {
    const name = String(url).split('/').pop()!;
    const body = files[name];
    return body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response(null, { status: 404 });
  };
  const channel = { url: 'https://conda.invalid/fuzz/', name: 'fuzz' };
  const sharded = first.endsWith('.msgpack.zst');
  await loadRepodata(channel, 'linux-64', { fetch: fetch as typeof globalThis.fetch, maxBytes: limit, ...(sharded ? { names: ['a', 'zlib', 'libgcc-ng'] } : {}) });
  if (first === 'repodata.json') {
    let doc: unknown;
    try { doc = JSON.parse(dec.decode(bytes)); } catch { return; } // not JSON: loadRepodata above already judged it
    parseRepodata(doc, channel.url, 'linux-64');
  }
  if (sharded) for (const [name, b] of Object.entries(files)) if (name !== 'repodata_shards.msgpack.zst') normalizeShard(b, name);
}

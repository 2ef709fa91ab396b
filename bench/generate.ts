/**
 * Generates (once, cached under `.cache/bench/`) the benchmark's docker-save archive from a plan
 * (bench/plan.ts): each layer is written with the project's own `writeTar` to its own file (that file is
 * what GNU tar lists), then the archive is written with `writeDockerArchiveTo` from those same files
 * (uncompressed layers: each archive member `blobs/sha256/<hex>` is byte-for-byte the layer file whose
 * sha256 is `<hex>`). Deterministic: the same spec gives the same bytes.
 */
import { createWriteStream, existsSync, mkdirSync, openAsBlob, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { writeDockerArchiveTo } from '../src/core/archive/index.js';
import { hashingStream, sha256, type Digest } from '../src/core/digest/index.js';
import { appendLayers, emptyImage, layerFromBlob } from '../src/core/image/index.js';
import { MediaTypes } from '../src/core/oci/index.js';
import { writeTar, type TarWriteEntry } from '../src/core/tar/index.js';
import { createRandom, planArchive, type BenchArchiveSpec, type PlannedEntry } from './plan.js';

/** Bumped whenever the plan or the writing changes, so stale caches are not reused. */
const GENERATOR_VERSION = 2;

/** A generated archive and the layer files it contains. */
export interface GeneratedArchive {
  /** the docker-save tar */
  archive: string;
  archiveBytes: number;
  /** the layer tars, bottom first, byte-identical to the archive's layer members */
  layerFiles: string[];
  diffIds: Digest[];
  /** tar entries per layer (what `tar -t` lists) */
  layerEntries: number[];
  /** the image tag inside the archive */
  tag: string;
}

/** The default cache root: `<repo>/.cache/bench`. */
export const DEFAULT_CACHE_DIR = resolve(import.meta.dirname, '..', '.cache', 'bench');

const NOISE_BYTES = 2 << 20;

/** 2 MiB of deterministic noise (incompressible, like real binaries) that file bodies are cut from. */
function noisePool(seed: number): Uint8Array {
  const rnd = createRandom(seed ^ 0x5eed);
  const words = new Uint32Array(NOISE_BYTES / 4);
  for (let i = 0; i < words.length; i++) words[i] = (rnd() * 4294967296) >>> 0;
  return new Uint8Array(words.buffer);
}

/** A stream of `size` bytes cycling through the pool from `offset`, 1 MiB per chunk. */
function cyclingBody(pool: Uint8Array, offset: number, size: number): () => ReadableStream<Uint8Array> {
  return () => {
    let left = size;
    let at = offset % (pool.length / 2);
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (left === 0) return c.close();
        const n = Math.min(left, pool.length / 2);
        c.enqueue(pool.subarray(at, at + n));
        left -= n;
        at = (at + 7919) % (pool.length / 2);
      },
    });
  };
}

/** The tar entries of one planned layer. */
function* layerEntries(plan: PlannedEntry[], pool: Uint8Array): Generator<TarWriteEntry> {
  for (const e of plan) {
    const base = { name: e.name, mode: e.mode, mtime: 1_700_000_000 };
    if (e.type === 'directory') yield { ...base, type: 'directory' };
    else if (e.type === 'symlink' || e.type === 'hardlink') yield { ...base, type: e.type, linkname: e.linkname };
    else if (e.size <= 1 << 20) yield { ...base, type: 'file', size: e.size, body: pool.subarray(e.offset, e.offset + e.size) };
    else yield { ...base, type: 'file', size: e.size, body: cyclingBody(pool, e.offset, e.size) };
  }
}

/** Streams a web stream into a file (atomically: temp name, then rename). */
async function streamToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  const tmp = `${path}.partial`;
  await stream.pipeTo(Writable.toWeb(createWriteStream(tmp)) as WritableStream<Uint8Array>);
  renameSync(tmp, path);
}

/**
 * Returns the archive for `spec`, generating it under `cacheDir` unless a finished one is there
 * (a `meta.json` is written last, so an interrupted run regenerates).
 */
export async function generateArchive(spec: BenchArchiveSpec, cacheDir = DEFAULT_CACHE_DIR, log: (s: string) => void = () => {}): Promise<GeneratedArchive> {
  const key = (await sha256(JSON.stringify({ spec, GENERATOR_VERSION }))).slice(7, 19);
  const dir = join(cacheDir, `${spec.name}-${key}`);
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath)) return resolveMeta(dir, JSON.parse(readFileSync(metaPath, 'utf8')) as GeneratedArchive);

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pool = noisePool(spec.seed);
  const plans = planArchive(spec);
  const layerFiles: string[] = [];
  const diffIds: Digest[] = [];
  for (const [i, plan] of plans.entries()) {
    const file = join(dir, `layer-${String(i).padStart(2, '0')}.tar`);
    const hashing = hashingStream();
    await streamToFile(writeTar(layerEntries(plan, pool)).pipeThrough(hashing.stream), file);
    diffIds.push((await hashing.result).digest);
    layerFiles.push(file);
    log(`  layer ${i}: ${plan.length} entries`);
  }
  const layers = await Promise.all(layerFiles.map(async (f, i) =>
    layerFromBlob(await openAsBlob(f), { mediaType: MediaTypes.ociLayer, compression: 'none', diffId: diffIds[i] })));
  const image = appendLayers(emptyImage(), layers.map((layer, i) => ({ layer, history: { created_by: `bench layer ${i}` } })));
  const tag = `bench/inspector:${spec.name}`;
  const archive = join(dir, 'archive.tar');
  const tmp = `${archive}.partial`;
  await writeDockerArchiveTo([{ image, tags: [tag] }], Writable.toWeb(createWriteStream(tmp)) as WritableStream<Uint8Array>);
  renameSync(tmp, archive);
  const meta: GeneratedArchive = {
    archive,
    archiveBytes: (await openAsBlob(archive)).size,
    layerFiles,
    diffIds,
    layerEntries: plans.map((p) => p.length),
    tag,
  };
  // stored with names relative to its folder, so a moved cache still works
  const stored = { ...meta, archive: basename(archive), layerFiles: layerFiles.map((f) => basename(f)) };
  writeFileSync(metaPath, JSON.stringify(stored, null, 2));
  return meta;
}

function resolveMeta(dir: string, meta: GeneratedArchive): GeneratedArchive {
  return { ...meta, archive: join(dir, meta.archive), layerFiles: meta.layerFiles.map((f) => join(dir, f)) };
}

/**
 * Node: layer jobs in a pool of worker threads (one per core, at most 4), so an environment's layers are
 * built in parallel while the main thread writes the archive: the pool of layer-pool-protocol.ts over worker
 * threads, which are referenced only while they hold a job, so an idle pool never keeps the process alive.
 * Same bytes as runLayerJob on the main thread. How a thread starts (a bundled script, the sources through
 * a loader, the program's own file) is the caller's to say: the CLI's is src/cli/layer-threads.node.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { fileOfBlob, openFileBlob } from '../cache/file-blob.node.js';
import type { Digest } from '../digest';
import type { SerializedError } from '../errors';
import { spillToTempFile } from '../archive/spill.node.js';
import { oneAtATime, runLayerJob, type InstalledSummary, type LayerRunner } from './layer-job';
import { workerLayerRunner, type PoolWorker } from './layer-pool-protocol';
import type { PackageOrigin } from '../conda';

/** A job as posted to a worker. */
export interface WireJob {
  prefix: string;
  epoch: number;
  pythonVersion?: string;
  packages: { fn: string; origin?: PackageOrigin; path?: string; bytes?: Uint8Array }[];
}

/** A worker's answer. */
export type WireReply =
  | { id: number; digest: Digest; size: number; packages: InstalledSummary[]; tar?: Uint8Array | Uint8Array[]; tarPath?: string }
  | { id: number; error: SerializedError };

/** What a layer thread is started with (its script reads it as `workerData`). */
export interface LayerThreadData {
  spillDir: string;
  maxInMemory?: number;
}

/** A Node worker thread as the pool sees a worker: 'error' when it fails or exits, ref/unref as Node's. */
function poolWorker(w: Worker): PoolWorker {
  return {
    postMessage: (m, transfer) => w.postMessage(m, transfer as ArrayBuffer[] | undefined),
    addEventListener(type, listener) {
      if (type === 'message') { w.on('message', (data: unknown) => listener({ data } as MessageEvent)); return; }
      w.on('error', (e: Error) => listener({ message: e.message, error: e } as ErrorEvent));
      w.on('exit', (code: number) => listener({ message: `a layer worker exited (code ${code})` } as ErrorEvent));
    },
    terminate: () => { void w.terminate(); },
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
}

/** Options of nodeLayerRunner. */
export interface NodeLayerRunnerOptions {
  /** worker threads (default: one per core, at most 4) */
  size?: number;
  /** payload bytes a job decodes into memory (default runLayerJob's) */
  maxInMemory?: number;
  /** start the workers now (they load while the caller reads the base image and the lock) */
  warm?: boolean;
  /**
   * starts a thread that runs layer-thread-entry.node.ts with the given workerData: how that script is found
   * (bundled, from the sources through a loader, the program's own file) is the program's business
   */
  startThread: (workerData: LayerThreadData) => Worker;
}

/** A LayerRunner over worker threads (workerLayerRunner's pool; workers are referenced only while busy). */
export function nodeLayerRunner(opts: NodeLayerRunnerOptions): LayerRunner {
  let spillDir: string | undefined;
  const dir = () => {
    if (!spillDir) {
      const d = mkdtempSync(join(tmpdir(), 'docker-envs-layers-'));
      spillDir = d;
      process.once('exit', () => rmSync(d, { recursive: true, force: true }));
    }
    return spillDir;
  };
  return workerLayerRunner<WireJob, WireReply>({
    size: opts.size ?? Math.min(4, Math.max(1, availableParallelism())),
    ...(opts.warm ? { warm: true } : {}),
    create: () => poolWorker(opts.startThread({ spillDir: dir(), ...(opts.maxInMemory !== undefined ? { maxInMemory: opts.maxInMemory } : {}) })),
    // file-backed Blobs cannot be posted: their paths go instead (bytes for a Blob in memory)
    encode: async (job) => ({
      prefix: job.prefix, epoch: job.epoch, ...(job.pythonVersion ? { pythonVersion: job.pythonVersion } : {}),
      packages: await Promise.all(job.packages.map(async (p) => {
        const path = fileOfBlob(p.blob);
        return { fn: p.fn, ...(p.origin ? { origin: p.origin } : {}), ...(path !== undefined ? { path } : { bytes: new Uint8Array(await p.blob.arrayBuffer()) }) };
      })),
    }),
    decode: async (m) => ({ digest: m.digest, size: m.size, packages: m.packages, tar: m.tar ?? await openFileBlob(m.tarPath!) }),
    fallback: oneAtATime((job) => runLayerJob(job, { spill: (st) => spillToTempFile(st, dir()), ...(opts.maxInMemory !== undefined ? { maxInMemory: opts.maxInMemory } : {}) })),
  });
}

/**
 * Node: layer jobs in a pool of worker threads (one per core, at most 4), so an environment's layers are
 * built in parallel while the main thread writes the archive. Jobs are taken in order, one per worker at
 * a time; workers are referenced only while they hold a job, so an idle pool never keeps the process alive.
 * Same bytes as runLayerJob on the main thread.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fileOfBlob, openFileBlob } from '../cache/file-blob.node.js';
import type { Digest } from '../digest';
import { CoreError, type ErrorCode } from '../errors';
import type { LayerJob, LayerJobResult, LayerRunner, InstalledSummary } from './layer-job';
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
  | { id: number; digest: Digest; size: number; packages: InstalledSummary[]; tar?: Uint8Array; tarPath?: string }
  | { id: number; error: { message: string; code?: ErrorCode } };

/** How to start the worker: the bundled script next to a bundled CLI, else the TypeScript source through tsx. */
function startWorker(workerData: { spillDir: string; maxInMemory?: number }): Worker {
  const bundled = new URL('./layer-worker.node.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled, { workerData });
  const source = new URL('./layer-worker.node.ts', import.meta.url).href;
  // tsx's ESM API (its package exports name the file for `import`; require.resolve would give the CommonJS one)
  const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = pathToFileURL(join(dirname(pkgJson), api)).href;
  // dynamic imports only: the eval'd bootstrap may be evaluated as CommonJS
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(source)}))`, { eval: true, workerData });
}

interface Pending { id: number; job: WireJob; ok: (r: LayerJobResult) => void; fail: (e: unknown) => void }
interface Slot { worker: Worker; busy?: Pending }

/** Options of nodeLayerRunner. */
export interface NodeLayerRunnerOptions {
  /** worker threads (default: one per core, at most 4) */
  size?: number;
  /** payload bytes a job decodes into memory (default runLayerJob's) */
  maxInMemory?: number;
  /** start the workers now (they load while the caller reads the base image and the lock) */
  warm?: boolean;
}

/** A LayerRunner over worker threads. */
export function nodeLayerRunner(opts: NodeLayerRunnerOptions = {}): LayerRunner {
  const size = opts.size ?? Math.min(4, Math.max(1, availableParallelism()));
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 0;
  let spillDir: string | undefined;
  const dir = () => {
    if (!spillDir) {
      const d = mkdtempSync(join(tmpdir(), 'docker-envs-layers-'));
      spillDir = d;
      process.once('exit', () => rmSync(d, { recursive: true, force: true }));
    }
    return spillDir;
  };
  const finish = (slot: Slot, m: WireReply) => {
    const p = slot.busy;
    slot.busy = undefined;
    if (p) {
      if ('error' in m) p.fail(m.error.code ? new CoreError(m.error.code, m.error.message) : new Error(m.error.message));
      else if (m.tar) p.ok({ digest: m.digest, size: m.size, packages: m.packages, tar: m.tar });
      else openFileBlob(m.tarPath!).then((tar) => p.ok({ digest: m.digest, size: m.size, packages: m.packages, tar }), p.fail);
    }
    dispatch();
  };
  const newSlot = (): Slot => {
    const slot: Slot = { worker: startWorker({ spillDir: dir(), ...(opts.maxInMemory !== undefined ? { maxInMemory: opts.maxInMemory } : {}) }) };
    slot.worker.on('message', (m: WireReply) => finish(slot, m));
    // a worker that dies (an uncaught error, or it exits) takes only its own job down; the next job gets a fresh worker
    const gone = (e: Error) => {
      const i = slots.indexOf(slot);
      if (i < 0) return;
      slots.splice(i, 1);
      slot.busy?.fail(e);
      slot.busy = undefined;
      dispatch();
    };
    slot.worker.on('error', gone);
    slot.worker.on('exit', (code) => gone(new Error(`a layer worker exited (code ${code})`)));
    slot.worker.unref();
    slots.push(slot);
    return slot;
  };
  const dispatch = () => {
    while (queue.length) {
      const slot = slots.find((s) => !s.busy) ?? (slots.length < size ? newSlot() : undefined);
      if (!slot) break;
      const p = queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage({ id: p.id, job: p.job });
    }
    for (const s of slots) if (!s.busy) s.worker.unref();
  };
  if (opts.warm) {
    while (slots.length < size) newSlot();
  }
  return async (job: LayerJob, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    const packages = await Promise.all(job.packages.map(async (p) => {
      const path = fileOfBlob(p.blob);
      return { fn: p.fn, ...(p.origin ? { origin: p.origin } : {}), ...(path !== undefined ? { path } : { bytes: new Uint8Array(await p.blob.arrayBuffer()) }) };
    }));
    const wire: WireJob = { prefix: job.prefix, epoch: job.epoch, ...(job.pythonVersion ? { pythonVersion: job.pythonVersion } : {}), packages };
    signal?.throwIfAborted();
    return new Promise<LayerJobResult>((ok, fail) => {
      const p: Pending = { id: nextId++, job: wire, ok, fail };
      queue.push(p);
      signal?.addEventListener('abort', () => {
        const i = queue.indexOf(p);
        if (i >= 0) { queue.splice(i, 1); fail(signal.reason); }
      }, { once: true });
      dispatch();
    });
  };
}

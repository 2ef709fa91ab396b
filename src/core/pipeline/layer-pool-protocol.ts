/**
 * Layer jobs in a pool of workers: Web Workers started by the browser's build worker (workers/browser-layer-pool.ts),
 * worker threads in Node (layer-thread-pool.node.ts, through the same pool). Blobs and results cross by
 * structured clone, a layer in memory by transfer. Same bytes as runLayerJob here.
 */
import type { Digest, PieceDigests } from '../digest';
import { CoreError, deserializeError, serializeError, type SerializedError } from '../errors';
import { isStorageFull } from '../cache';
import { oneAtATime, runLayerJob, type InstalledSummary, type LayerJob, type LayerJobOptions, type LayerJobResult, type LayerRunner, type LayerTar } from './layer-job';

/** What the pool needs of a Worker (a Web Worker as it is; Node's worker threads through an adapter). */
export interface PoolWorker {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** 'error': the worker failed or ended (it takes its job down) */
  addEventListener(type: 'message' | 'error', listener: (e: MessageEvent | ErrorEvent) => void): void;
  terminate(): void;
  /** (Node) keep the process alive while the worker holds a job, and not while it is idle */
  ref?(): void;
  unref?(): void;
}

/** A worker's answer. */
export type LayerReply =
  | { id: number; digest: Digest; size: number; packages: InstalledSummary[]; tar: LayerTar; pieces?: PieceDigests }
  | { id: number; error: SerializedError };

/** Options of workerLayerRunner. */
export interface WorkerPoolOptions<M = unknown, R extends { id: number } = LayerReply> {
  /** makes a worker (each running serveLayerJobs, or a counterpart that answers the same way) */
  create: () => PoolWorker;
  size: number;
  /** what is posted for a job (default: the job itself; Node posts packages by path) */
  encode?: (job: LayerJob) => M | Promise<M>;
  /** the result of a reply that is not an error (default: the reply's fields) */
  decode?: (reply: Exclude<R, { error: unknown }>) => LayerJobResult | Promise<LayerJobResult>;
  /** runs the jobs where workers cannot (default: runLayerJob one at a time on this thread) */
  fallback?: LayerRunner;
  /** start every worker now (they load while the caller does other work) */
  warm?: boolean;
  /**
   * Package bytes (the jobs' .conda/.tar.bz2 sizes) of the jobs running at once: a job that would go past it
   * waits for running ones to end (one over it runs alone) while later jobs that fit start in its place, so
   * memory follows the bytes being decoded rather than the number of workers, and a free worker does not wait
   * behind a big job. Default: no bound but the pool's size.
   */
  maxBytes?: number;
  /**
   * Package bytes after which a worker is replaced by a fresh one once its job has ended: ending a worker
   * gives back at once everything its jobs left behind (garbage its collector has not reclaimed yet, memory
   * its allocator kept), so what the pool holds does not grow with the image. Default: workers are kept.
   */
  recycleAfterBytes?: number;
}

interface Pending { id: number; job: LayerJob; message: unknown; ok: (r: LayerJobResult) => void; fail: (e: unknown) => void; bytes: number }
interface Slot { worker: PoolWorker; busy?: Pending; answered?: boolean; bytes: number }

/**
 * A LayerRunner over a pool of workers: jobs are taken in order (past one that waits for room under
 * `maxBytes`), one per worker at a time; a job still queued
 * when its signal aborts is dropped; a worker that fails takes only its own job down, and the next job gets a
 * fresh worker. Where workers cannot run (creating one throws, or one fails before its first answer: a
 * browser without nested workers, a policy that forbids them) the jobs run on this thread instead, one at a
 * time: slower, same bytes.
 */
export function workerLayerRunner<M = unknown, R extends { id: number } = LayerReply>(opts: WorkerPoolOptions<M, R>): LayerRunner {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 0;
  let runningBytes = 0;
  /** a worker has answered: workers run here (a replacement that fails is a failed job, not a reason to stop using workers) */
  let workersRun = false;
  const ended = (p: Pending | undefined) => { if (p) runningBytes -= p.bytes; };
  let here: LayerRunner | undefined;
  const decode = opts.decode ?? ((m) => {
    const r = m as unknown as Exclude<LayerReply, { error: unknown }>;
    return { digest: r.digest, size: r.size, packages: r.packages, tar: r.tar, ...(r.pieces ? { pieces: r.pieces } : {}) };
  });
  const onThisThread = () => {
    here ??= opts.fallback ?? oneAtATime((job) => runLayerJob(job));
    for (const s of slots.splice(0)) {
      s.worker.terminate();
      ended(s.busy);
      if (s.busy) queue.unshift(s.busy);
    }
    for (const p of queue.splice(0)) here(p.job).then(p.ok, p.fail);
  };
  const newSlot = (): Slot | undefined => {
    let worker: PoolWorker;
    try {
      worker = opts.create();
    } catch {
      return undefined;
    }
    const s: Slot = { worker, bytes: 0 };
    worker.addEventListener('message', (e) => {
      const m = (e as MessageEvent<R | { id: number; error: SerializedError }>).data;
      const p = s.busy;
      s.busy = undefined;
      s.answered = true;
      workersRun = true;
      ended(p);
      s.bytes += p?.bytes ?? 0;
      if (opts.recycleAfterBytes !== undefined && s.bytes >= opts.recycleAfterBytes && slots.includes(s)) {
        slots.splice(slots.indexOf(s), 1);
        worker.terminate();
      }
      if (p) {
        if ('error' in m) p.fail(deserializeError(m.error));
        else Promise.resolve().then(() => decode(m as Exclude<R, { error: unknown }>)).then(p.ok, p.fail);
      }
      dispatch();
    });
    worker.addEventListener('error', (e) => {
      if (!slots.includes(s)) return; // gone already (terminated, or reported twice)
      // a worker that never answered could not start: workers do not run here
      if (!s.answered && !workersRun) return onThisThread();
      slots.splice(slots.indexOf(s), 1);
      worker.terminate();
      ended(s.busy);
      const cause = (e as ErrorEvent).error as unknown;
      s.busy?.fail(new CoreError('worker-failed', `a layer worker failed: ${(e as ErrorEvent).message || 'it stopped'}`, cause === undefined ? undefined : { cause: deserializeError(serializeError(cause)) }));
      s.busy = undefined;
      dispatch();
    });
    worker.unref?.();
    slots.push(s);
    return s;
  };
  /**
   * The queued job to start next: the first in order that fits under maxBytes beside the running ones (the
   * first of all when none runs), or -1. A job that does not fit yet starts as soon as it does; later jobs
   * that fit start meanwhile, so a worker does not idle beside a big job while smaller ones wait (the bound
   * is the same: only the order changes, and results are still given back per job).
   */
  const nextFitting = (): number => {
    if (opts.maxBytes === undefined || !slots.some((x) => x.busy)) return 0;
    return queue.findIndex((p) => runningBytes + p.bytes <= opts.maxBytes!);
  };
  const dispatch = () => {
    if (here) return onThisThread();
    while (queue.length) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < opts.size) {
        slot = newSlot();
        if (!slot) return onThisThread();
      }
      if (!slot) break;
      const at = nextFitting();
      if (at < 0) break;
      const [p] = queue.splice(at, 1);
      runningBytes += p.bytes;
      slot.busy = p;
      slot.worker.ref?.();
      slot.worker.postMessage({ id: p.id, job: p.message });
    }
    for (const s of slots) if (!s.busy) s.worker.unref?.();
  };
  if (opts.warm) {
    while (slots.length < opts.size && newSlot());
  }
  return async (job, signal) => {
    signal?.throwIfAborted();
    const message = opts.encode ? await opts.encode(job) : job;
    signal?.throwIfAborted();
    return new Promise<LayerJobResult>((ok, fail) => {
      const p: Pending = { id: nextId++, job, message, ok, fail, bytes: job.packages.reduce((n, x) => n + x.blob.size, 0) };
      queue.push(p);
      signal?.addEventListener('abort', () => {
        const i = queue.indexOf(p);
        if (i >= 0) { queue.splice(i, 1); fail(signal.reason); }
      }, { once: true });
      dispatch();
    });
  };
}

/**
 * A job's tar as it is posted back: the buffers of a tar in memory go by transfer (added to `transfer`); a view
 * of part of a buffer is copied first, so nothing but the tar's own bytes crosses (pieces are views of buffers
 * the result owns whole: see LayerJobOptions.pieces).
 */
export function transferableTar(tar: LayerTar, transfer: Transferable[]): LayerTar {
  if (tar instanceof Blob) return tar;
  if (tar instanceof Uint8Array) {
    const whole = tar.byteOffset === 0 && tar.byteLength === tar.buffer.byteLength ? tar : tar.slice();
    transfer.push(whole.buffer as ArrayBuffer);
    return whole;
  }
  for (const b of new Set(tar.map((p) => p.buffer as ArrayBuffer))) transfer.push(b);
  return tar;
}

/**
 * The worker side: answers layer jobs posted by workerLayerRunner (call once in the worker's module). With a
 * `tarSink` (see LayerJobOptions) each layer's tar is stored as it is made and answered as a Blob; once the
 * sink finds the storage full, that job and the rest are made in memory instead.
 */
export function serveLayerJobs(scope: { addEventListener(type: 'message', l: (e: MessageEvent) => void): void; postMessage(m: unknown, transfer: Transferable[]): void }, options: LayerJobOptions | Promise<LayerJobOptions> = {}): void {
  let opts: LayerJobOptions = {};
  const ready = Promise.resolve(options).then((o) => { opts = o; });
  scope.addEventListener('message', async (e: MessageEvent<{ id: number; job: LayerJob }>) => {
    const { id, job } = e.data;
    let reply: LayerReply;
    const transfer: Transferable[] = [];
    try {
      await ready;
      const r = await runLayerJob(job, opts).catch((err: unknown) => {
        if (!opts.tarSink || !isStorageFull(err)) throw err;
        opts = { ...opts };
        delete opts.tarSink;
        return runLayerJob(job, opts);
      });
      const tar = transferableTar(r.tar, transfer);
      reply = { id, digest: r.digest, size: r.size, packages: r.packages, tar, ...(r.pieces ? { pieces: r.pieces } : {}) };
    } catch (err) {
      reply = { id, error: serializeError(err) };
    }
    scope.postMessage(reply, transfer);
  });
}

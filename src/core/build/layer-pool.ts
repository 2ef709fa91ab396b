/**
 * Layer jobs in a pool of Web Workers (the browser's build worker starts them; see workers/layer-pool.ts):
 * jobs are taken in order, one per worker at a time; Blobs and results cross by structured clone, a layer
 * in memory by transfer. A worker that fails takes only its own job down. Same bytes as runLayerJob here.
 */
import type { Digest } from '../digest';
import { CoreError, type ErrorCode } from '../errors';
import { oneAtATime, runLayerJob, type InstalledSummary, type LayerJob, type LayerJobResult, type LayerRunner } from './layer-job';

/** What the pool needs of a Worker. */
export interface PoolWorker {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message' | 'error', listener: (e: MessageEvent | ErrorEvent) => void): void;
  terminate(): void;
}

/** A worker's answer. */
export type LayerReply =
  | { id: number; digest: Digest; size: number; packages: InstalledSummary[]; tar: Uint8Array | Blob }
  | { id: number; error: { message: string; code?: ErrorCode } };

interface Pending { id: number; job: LayerJob; ok: (r: LayerJobResult) => void; fail: (e: unknown) => void }
interface Slot { worker: PoolWorker; busy?: Pending; answered?: boolean }

/**
 * A LayerRunner over `size` workers made by `create` (each running serveLayerJobs). Where workers cannot
 * run (creating one throws, or one fails before its first answer: a browser without nested workers, a
 * policy that forbids them) the jobs run on this thread instead, one at a time: slower, same bytes.
 */
export function workerLayerRunner(create: () => PoolWorker, size: number): LayerRunner {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 0;
  let here: LayerRunner | undefined;
  const onThisThread = () => {
    here ??= oneAtATime((job) => runLayerJob(job));
    for (const s of slots.splice(0)) {
      s.worker.terminate();
      if (s.busy) queue.unshift(s.busy);
    }
    for (const p of queue.splice(0)) here(p.job).then(p.ok, p.fail);
  };
  const dispatch = () => {
    if (here) return onThisThread();
    while (queue.length) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < size) {
        let worker: PoolWorker;
        try {
          worker = create();
        } catch {
          return onThisThread();
        }
        const s: Slot = { worker };
        s.worker.addEventListener('message', (e) => {
          const m = (e as MessageEvent<LayerReply>).data;
          const p = s.busy;
          s.busy = undefined;
          s.answered = true;
          if (p) {
            if ('error' in m) p.fail(m.error.code ? new CoreError(m.error.code, m.error.message) : new Error(m.error.message));
            else p.ok({ digest: m.digest, size: m.size, packages: m.packages, tar: m.tar });
          }
          dispatch();
        });
        s.worker.addEventListener('error', (e) => {
          // a worker that never answered could not start: workers do not run here
          if (!s.answered) return onThisThread();
          slots.splice(slots.indexOf(s), 1);
          s.worker.terminate();
          s.busy?.fail(new Error(`a layer worker failed: ${(e as ErrorEvent).message ?? 'it could not start'}`));
          s.busy = undefined;
          dispatch();
        });
        slots.push(s);
        slot = s;
      }
      if (!slot) return;
      const p = queue.shift()!;
      slot.busy = p;
      slot.worker.postMessage({ id: p.id, job: p.job });
    }
  };
  return (job, signal) => new Promise<LayerJobResult>((ok, fail) => {
    signal?.throwIfAborted();
    const p: Pending = { id: nextId++, job, ok, fail };
    queue.push(p);
    signal?.addEventListener('abort', () => {
      const i = queue.indexOf(p);
      if (i >= 0) { queue.splice(i, 1); fail(signal.reason); }
    }, { once: true });
    dispatch();
  });
}

/** The worker side: answers layer jobs posted by workerLayerRunner (call once in the worker's module). */
export function serveLayerJobs(scope: { addEventListener(type: 'message', l: (e: MessageEvent) => void): void; postMessage(m: unknown, transfer: Transferable[]): void }): void {
  scope.addEventListener('message', async (e: MessageEvent<{ id: number; job: LayerJob }>) => {
    const { id, job } = e.data;
    let reply: LayerReply;
    const transfer: Transferable[] = [];
    try {
      const r = await runLayerJob(job);
      let tar = r.tar;
      if (tar instanceof Uint8Array) {
        if (tar.byteOffset !== 0 || tar.byteLength !== tar.buffer.byteLength) tar = tar.slice();
        transfer.push(tar.buffer as ArrayBuffer);
      }
      reply = { id, digest: r.digest, size: r.size, packages: r.packages, tar };
    } catch (err) {
      reply = { id, error: { message: err instanceof Error ? err.message : String(err), ...(err instanceof CoreError ? { code: err.code } : {}) } };
    }
    scope.postMessage(reply, transfer);
  });
}

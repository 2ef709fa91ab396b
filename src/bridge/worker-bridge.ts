/**
 * One WorkerBridge per worker: the worker starts on first use, calls go through comlink, and a worker
 * that goes (an aborted call terminates it, or `terminate()`) settles every call still pending on it:
 * each rejects with a CoreError coded 'cancelled'. The next call starts a fresh worker.
 *
 * Comlink alone never settles a call whose worker was terminated, which is why the bridge keeps its own
 * record of pending calls instead of racing each call against its own signal only.
 *
 * Since an abort takes the whole worker down, long jobs (a save, a build) and cancellable queries (tag
 * lookups, manifests, solves) must never share a bridge: give each kind its own worker.
 */
import { wrap, type Remote } from 'comlink';
import { CoreError } from '../core/errors';
import { registerErrorTransfer } from '../../workers/error-transfer';

registerErrorTransfer();

/** How a bridge schedules and stops its worker. */
export interface WorkerBridgeOptions {
  /** worker name, used in messages */
  name?: string;
  /**
   * Calls sent to the worker at once (default: no limit). Further calls wait outside the worker, so an
   * abort of a waiting call rejects it alone and leaves the running ones be. Job workers take 1.
   */
  concurrency?: number;
  /**
   * Milliseconds without a call after which the worker is stopped to free its memory (default: never).
   * Only for workers that keep nothing a later call needs (caches live in OPFS).
   */
  idleStopMs?: number;
}

/** True when `e` is the rejection of a call whose worker went (aborted, or stopped under it). */
export function isCancelled(e: unknown): boolean {
  return e instanceof CoreError && e.code === 'cancelled';
}

interface Waiting { start: () => void; signal?: AbortSignal; onAbort?: () => void }

/** A lazily started worker, its comlink proxy, and the calls pending on it. */
export class WorkerBridge<T> {
  private worker?: Worker;
  private remote?: Remote<T>;
  /** rejecters of the calls sent to the current worker and not settled yet */
  private readonly pending = new Set<(e: CoreError) => void>();
  private readonly waiting: Waiting[] = [];
  private idleTimer?: ReturnType<typeof setTimeout>;
  private readonly name: string;
  private readonly concurrency: number;
  /** bumps each time the worker is replaced: results naming worker-side state (ids) are stale after it */
  generation = 0;

  constructor(private readonly create: () => Worker, private readonly options: WorkerBridgeOptions = {}) {
    this.name = options.name ?? 'worker';
    this.concurrency = Math.max(1, options.concurrency ?? Infinity);
  }

  /** Calls sent to the worker and not settled yet. */
  get active(): number { return this.pending.size; }

  /** True while a worker is running. */
  get started(): boolean { return this.worker !== undefined; }

  /**
   * Runs `call` against the worker, starting it if needed. If `signal` aborts while the call runs, the
   * worker is terminated and every call pending on it rejects as cancelled; while the call still waits
   * for its turn, it alone rejects.
   */
  run<R>(call: (api: Remote<T>) => Promise<R>, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError(`${this.name}: the call was cancelled`, signal.reason));
      const start = () => this.send(call, signal, resolve, reject);
      if (this.pending.size < this.concurrency && this.waiting.length === 0) return start();
      const entry: Waiting = { start, signal };
      if (signal) {
        entry.onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(cancelledError(`${this.name}: the call was cancelled before it started`, signal.reason));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
    });
  }

  /** Stops the worker now: worker-side state is lost and every call pending on it rejects as cancelled. */
  terminate(reason = 'the worker was stopped', cause?: unknown): void {
    clearTimeout(this.idleTimer);
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = undefined;
    this.remote = undefined;
    this.generation++;
    const error = cancelledError(`${this.name}: ${reason}`, cause);
    // each rejection frees a slot, which may start a waiting call on a fresh worker
    for (const cancel of [...this.pending]) cancel(error);
  }

  private send<R>(call: (api: Remote<T>) => Promise<R>, signal: AbortSignal | undefined, resolve: (v: R) => void, reject: (e: unknown) => void): void {
    clearTimeout(this.idleTimer);
    if (!this.remote) {
      this.worker = this.create();
      this.remote = wrap<T>(this.worker);
    }
    const remote = this.remote;
    let settled = false;
    const onAbort = () => this.terminate('a call was cancelled', signal?.reason);
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      this.pending.delete(cancel);
      signal?.removeEventListener('abort', onAbort);
      finish();
      this.next();
    };
    const cancel = (e: CoreError) => settle(() => reject(e));
    this.pending.add(cancel);
    signal?.addEventListener('abort', onAbort, { once: true });
    new Promise<R>((r) => r(call(remote))).then((v) => settle(() => resolve(v)), (e) => settle(() => reject(e)));
  }

  /** Starts waiting calls while there is room; with nothing left to do, arms the idle stop. */
  private next(): void {
    while (this.waiting.length > 0 && this.pending.size < this.concurrency) {
      const w = this.waiting.shift()!;
      if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
      w.start();
    }
    if (this.pending.size === 0 && this.worker && this.options.idleStopMs !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => { if (this.pending.size === 0) this.terminate('stopped while idle'); }, this.options.idleStopMs);
    }
  }
}

/** The rejection of a call whose worker went. */
function cancelledError(message: string, cause?: unknown): CoreError {
  return new CoreError('cancelled', message, cause === undefined ? undefined : { cause });
}

/**
 * One WorkerBridge per worker: the worker starts on first use, calls go through comlink, an aborted
 * call terminates the worker (the next call starts a fresh one) and rejects with the abort reason.
 */
import { wrap, type Remote } from 'comlink';
import { registerErrorTransfer } from '../../workers/error-transfer';

registerErrorTransfer();

/** A lazily started worker and its comlink proxy. */
export class WorkerBridge<T> {
  private worker?: Worker;
  private remote?: Remote<T>;
  /** bumps each time the worker is replaced: results naming worker-side state (ids) are stale after it */
  generation = 0;

  constructor(private readonly create: () => Worker) {}

  /** The proxy, starting the worker if needed. */
  get api(): Remote<T> {
    if (!this.remote) {
      this.worker = this.create();
      this.remote = wrap<T>(this.worker);
    }
    return this.remote;
  }

  /** Runs `call` against the worker; if `signal` aborts first, the worker is terminated. */
  async run<R>(call: (api: Remote<T>) => Promise<R>, signal?: AbortSignal): Promise<R> {
    signal?.throwIfAborted();
    const api = this.api;
    if (!signal) return call(api);
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, fail) => {
      onAbort = () => { this.terminate(); fail(signal.reason); };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([call(api), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the worker now; worker-side state is lost. */
  terminate(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.remote = undefined;
    this.generation++;
  }
}

/**
 * The build worker's hashing workers (workers/hash.worker.ts, comlink calls of workers/hash-service.ts), for
 * core's sha256 offload (useSha256Offload): a verified stream longer than a piece hands its bytes to a free
 * worker instead of hashing them on the build worker's thread, so a download being stored and verified, its
 * decompression and the layer's diff_id check run on separate threads. Workers start on first use and stay for
 * the jobs that follow; one left idle for IDLE_MS is stopped, so the memory its collector has not yet taken back
 * goes with it rather than staying through a build's later phases; when every worker is busy the stream is hashed
 * where it is read. Errors cross in the
 * core's wire format (workers/error-transfer.ts); a worker that fails settles its job's calls with a CoreError.
 */
import { transfer, wrap, type Endpoint, type Remote } from 'comlink';
import { CoreError } from '../src/core/errors';
import type { Digest, OffloadedSha256, Sha256Offload } from '../src/core/digest';
import { registerErrorTransfer } from './error-transfer';
import type { HashService } from './hash-service';

/** Pieces a job may have handed over and not yet seen hashed; the stream waits beyond this. */
const IN_FLIGHT = 8;

/** A worker with no job and nothing in flight for this long is stopped (the next job starts a fresh one). */
const IDLE_MS = 1000;

/** A started hashing worker: where its calls go, how to stop it, and how it tells that it failed. */
export interface HashWorker {
  endpoint: Endpoint;
  terminate(): void;
  /** `failed` is called once if the worker fails to start or to run */
  onFailure(failed: (message: string) => void): void;
}

/** A module Web Worker running workers/hash.worker.ts. */
function moduleHashWorker(): HashWorker {
  const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hash' });
  return {
    endpoint: worker,
    terminate: () => worker.terminate(),
    onFailure(failed) {
      worker.onerror = (e) => {
        e.preventDefault();
        failed(e.message || 'it did not start');
      };
    },
  };
}

interface Slot {
  worker: HashWorker;
  remote: Remote<HashService>;
  busy: boolean;
  /** why the worker went; `gone` rejects with it */
  dead?: CoreError;
  gone: Promise<never>;
  /** pieces sent and not yet hashed (a cancelled job's too: they are answered first), and who waits for fewer */
  inFlight: number;
  waiting?: () => void;
  /** the pending stop of a worker left idle */
  idle?: ReturnType<typeof setTimeout>;
}

/**
 * An offload over at most `size` hashing workers (made by `create`: module Web Workers unless a test gives
 * others), each stopped once it has been idle for `idleMs`.
 */
export function hashWorkerPool(size: number, create: () => HashWorker = moduleHashWorker, idleMs = IDLE_MS): Sha256Offload {
  registerErrorTransfer();
  const all: Slot[] = [];
  const wake = (s: Slot) => {
    const f = s.waiting;
    s.waiting = undefined;
    f?.();
  };
  /** stops `s` after idleMs unless a job takes it first */
  const stopWhenIdle = (s: Slot) => {
    clearTimeout(s.idle);
    if (s.busy || s.inFlight > 0 || s.dead) return;
    s.idle = setTimeout(() => {
      if (s.busy || s.inFlight > 0 || s.dead) return;
      const at = all.indexOf(s);
      if (at >= 0) all.splice(at, 1);
      s.dead = new CoreError('worker-failed', 'the hashing worker was stopped while idle');
      s.worker.terminate();
    }, idleMs);
  };
  const start = (): Slot => {
    const worker = create();
    let kill!: (e: CoreError) => void;
    const gone = new Promise<never>((_, fail) => { kill = fail; });
    gone.catch(() => undefined);
    const s: Slot = { worker, remote: wrap<HashService>(worker.endpoint), busy: false, gone, inFlight: 0 };
    worker.onFailure((message) => {
      // a worker that fails is dropped: its job fails, later jobs use the others or hash on this thread
      if (s.dead) return;
      const at = all.indexOf(s);
      if (at >= 0) all.splice(at, 1);
      worker.terminate();
      s.dead = new CoreError('worker-failed', `a hashing worker failed: ${message}`);
      kill(s.dead);
      wake(s);
    });
    all.push(s);
    return s;
  };
  /** a call that settles when its answer comes or when its worker goes, whichever is first */
  const call = <T>(s: Slot, answer: Promise<T>): Promise<T> => Promise.race([answer, s.gone]);
  return (): OffloadedSha256 | undefined => {
    const s = all.find((x) => !x.busy) ?? (all.length < size ? start() : undefined);
    if (!s) return undefined;
    clearTimeout(s.idle);
    s.busy = true;
    let ended = false;
    return {
      update(bytes) {
        if (s.dead) return undefined;
        s.inFlight++;
        // a piece's failure is reported by digest(); its call only counts what is in flight
        void call(s, s.remote.update(transfer(bytes, [bytes.buffer]))).catch(() => undefined).finally(() => {
          s.inFlight--;
          if (s.inFlight < IN_FLIGHT) wake(s);
          stopWhenIdle(s);
        });
        if (s.inFlight < IN_FLIGHT) return undefined;
        return new Promise<void>((ok) => { s.waiting = ok; });
      },
      async digest(): Promise<Digest> {
        ended = true;
        try {
          if (s.dead) throw s.dead;
          return await call(s, s.remote.digest());
        } finally {
          s.busy = false;
          stopWhenIdle(s);
        }
      },
      cancel() {
        if (ended) return;
        ended = true;
        if (!s.dead) void call(s, s.remote.cancel()).catch(() => undefined);
        s.busy = false;
        stopWhenIdle(s);
      },
    };
  };
}

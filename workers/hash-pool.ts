/**
 * The build worker's hashing workers (workers/hash.worker.ts), for core's sha256 offload (useSha256Offload): a
 * verified stream longer than a piece hands its bytes to a free worker instead of hashing them on the build
 * worker's thread, so a download being stored and verified, its decompression and the layer's diff_id check run
 * on separate threads. Workers start on first use and stay for the jobs that follow; when every worker is busy
 * the stream is hashed where it is read.
 */
import { CoreError } from '../src/core/errors';
import type { Digest, OffloadedSha256, Sha256Offload } from '../src/core/digest';
import type { HashReply, HashRequest } from './hash.worker';

/** Pieces a job may have handed over and not yet seen hashed; the stream waits beyond this. */
const IN_FLIGHT = 8;

interface PoolWorker {
  worker: Worker;
  busy: boolean;
  answer?: { ok(d: Digest): void; fail(e: unknown): void };
  dead?: Error;
  /** pieces sent and not yet hashed (a cancelled job's too: they are answered first), and who waits for fewer */
  inFlight: number;
  waiting?: () => void;
}

/** An offload over at most `size` hashing workers. */
export function hashWorkerPool(size: number): Sha256Offload {
  const all: PoolWorker[] = [];
  const start = (): PoolWorker => {
    const w: PoolWorker = { worker: new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hash' }), busy: false, inFlight: 0 };
    const wake = () => { const f = w.waiting; w.waiting = undefined; f?.(); };
    w.worker.onmessage = (e: MessageEvent<HashReply>) => {
      if (e.data.kind === 'hashed') {
        w.inFlight--;
        if (w.inFlight < IN_FLIGHT) wake();
        return;
      }
      const a = w.answer;
      w.answer = undefined;
      w.busy = false;
      if (e.data.kind === 'digest') a?.ok(e.data.digest as Digest);
      else a?.fail(new CoreError('internal', `a hashing worker failed: ${e.data.message}`));
    };
    w.worker.onerror = (e) => {
      // a worker that fails to run is dropped: its job fails, later jobs use the others or hash on this thread
      e.preventDefault();
      all.splice(all.indexOf(w), 1);
      w.worker.terminate();
      w.dead = new CoreError('internal', `a hashing worker failed: ${e.message || 'it did not start'}`);
      w.answer?.fail(w.dead);
      wake();
    };
    all.push(w);
    return w;
  };
  return (): OffloadedSha256 | undefined => {
    const w = all.find((x) => !x.busy) ?? (all.length < size ? start() : undefined);
    if (!w) return undefined;
    w.busy = true;
    const send = (m: HashRequest, transfer: Transferable[] = []) => w.worker.postMessage(m, transfer);
    let ended = false;
    return {
      update(bytes) {
        if (w.dead) return undefined;
        send({ kind: 'piece', bytes }, [bytes.buffer]);
        if (++w.inFlight < IN_FLIGHT) return undefined;
        return new Promise<void>((ok) => { w.waiting = ok; });
      },
      digest() {
        ended = true;
        return new Promise<Digest>((ok, fail) => {
          if (w.dead) { fail(w.dead); return; }
          w.answer = { ok, fail };
          send({ kind: 'end' });
        });
      },
      cancel() {
        if (ended) return;
        ended = true;
        if (!w.dead) send({ kind: 'cancel' });
        w.busy = false;
      },
    };
  };
}

/**
 * Node: core's sha256 offload (useSha256Offload) over worker threads hashing with node:crypto. A verified
 * stream longer than a piece (a download being stored, the layer it decompresses to while an archive is
 * written) hands its bytes to a free thread instead of hashing them on the thread reading it, which then only
 * copies them into memory the two threads share: the main thread, which runs every stream's steps, is no
 * longer the one that also hashes every byte twice. Threads start on first use (an eval'd script: nothing to bundle or ship
 * beside the program), stay for the jobs that follow and never keep the process alive while idle; when every
 * thread is busy the stream is hashed where it is read. Same digests as hashing here.
 */
import { Worker } from 'node:worker_threads';
import { CoreError } from '../errors';
import type { Digest, OffloadedSha256, Sha256Offload } from './digest';
import { useSha256Offload } from './digest';

/** Bytes of the ring a thread hashes from: what may be handed over and not yet hashed. */
const RING = 16 << 20;
/** Bytes gathered in the ring before the thread is told to hash them. */
const PIECE = 1 << 20;

/**
 * The thread's script (CommonJS, as eval'd scripts run). Its workerData is the ring, shared with the reading
 * thread. Messages: [start, length] (hash that range of the ring; answered with the length once hashed),
 * 'digest' (answered with the hex digest, then a new hash starts), 'cancel' (a new hash starts, no answer).
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData);
let h = createHash('sha256');
parentPort.on('message', (m) => {
  if (m === 'digest') { const hex = h.digest('hex'); h = createHash('sha256'); parentPort.postMessage(hex); }
  else if (m === 'cancel') h = createHash('sha256');
  else { h.update(ring.subarray(m[0], m[0] + m[1])); parentPort.postMessage(m[1]); }
});
`;

interface Slot {
  worker: Worker;
  ring: Uint8Array;
  busy: boolean;
  /** why the thread went; jobs on it fail with it */
  dead?: CoreError;
  /** bytes ever copied into the ring, and bytes the thread has hashed (so head - tail are in use) */
  head: number;
  tail: number;
  /** where the range not yet sent starts (a position in the same count as head) */
  sent: number;
  /** who waits for room in the ring */
  waiting?: () => void;
  /** the job's digest, once asked */
  digest?: { ok: (d: Digest) => void; fail: (e: unknown) => void };
}

/**
 * An offload over at most `size` hashing threads. Each thread hashes from a ring of memory it shares with the
 * reading thread, which copies each chunk in (warm memory, no allocation) and keeps the chunk: the stream hands
 * chunks over as they come (`copies`). A copy waits while the ring is full.
 */
export function sha256ThreadPool(size: number): Sha256Offload {
  const all: Slot[] = [];
  const wake = (s: Slot) => {
    const f = s.waiting;
    s.waiting = undefined;
    f?.();
  };
  const start = (): Slot => {
    const shared = new SharedArrayBuffer(RING);
    const worker = new Worker(SCRIPT, { eval: true, name: 'sha256', workerData: shared });
    const s: Slot = { worker, ring: new Uint8Array(shared), busy: false, head: 0, tail: 0, sent: 0 };
    const die = (message: string) => {
      // a thread that fails is dropped: its job fails, later jobs use the others or hash on the reading thread
      if (s.dead) return;
      const at = all.indexOf(s);
      if (at >= 0) all.splice(at, 1);
      s.dead = new CoreError('worker-failed', `a hashing thread failed: ${message}`);
      void worker.terminate();
      s.digest?.fail(s.dead);
      s.digest = undefined;
      wake(s);
    };
    worker.on('message', (m: number | string) => {
      if (typeof m === 'number') {
        s.tail += m;
        wake(s);
        return;
      }
      const d = s.digest;
      s.digest = undefined;
      d?.ok(`sha256:${m}`);
    });
    worker.on('error', (e) => die(e.message));
    worker.on('exit', (code) => die(`it exited (${code})`));
    // an idle thread does not keep the process alive; a job refs it until its digest comes (or it is cancelled)
    worker.unref();
    all.push(s);
    return s;
  };
  /** tells the thread to hash what was copied in since the last time (a range never wraps: see copyIn) */
  const send = (s: Slot) => {
    if (s.head === s.sent) return;
    s.worker.postMessage([s.sent % RING, s.head - s.sent]);
    s.sent = s.head;
  };
  /** copies `bytes` into the ring (all of it, waiting for room as needed) while the job goes on */
  const copyIn = async (s: Slot, bytes: Uint8Array, ended: () => boolean) => {
    for (let off = 0; off < bytes.byteLength;) {
      if (s.dead || ended()) return;
      const at = s.head % RING;
      // up to the ring's end (a range is contiguous), and no more than is free
      const n = Math.min(bytes.byteLength - off, RING - at, RING - (s.head - s.tail));
      if (n === 0) {
        send(s);
        await new Promise<void>((ok) => { s.waiting = ok; });
        continue;
      }
      s.ring.set(bytes.subarray(off, off + n), at);
      s.head += n;
      off += n;
      if (s.head - s.sent >= PIECE || s.head % RING === 0) send(s);
    }
  };
  const release = (s: Slot) => {
    s.busy = false;
    if (!s.dead) s.worker.unref();
  };
  return (): OffloadedSha256 | undefined => {
    const s = all.find((x) => !x.busy) ?? (all.length < size ? start() : undefined);
    if (!s) return undefined;
    s.busy = true;
    s.worker.ref();
    let ended = false;
    return {
      copies: true,
      update(bytes) {
        if (s.dead) return undefined;
        const at = s.head % RING;
        // the common case, room for the whole chunk before the ring's end: copied at once, nothing to wait on
        if (bytes.byteLength <= RING - at && bytes.byteLength <= RING - (s.head - s.tail)) {
          s.ring.set(bytes, at);
          s.head += bytes.byteLength;
          if (s.head - s.sent >= PIECE || s.head % RING === 0) send(s);
          return undefined;
        }
        return copyIn(s, bytes, () => ended);
      },
      async digest(): Promise<Digest> {
        ended = true;
        try {
          if (s.dead) throw s.dead;
          send(s);
          return await new Promise<Digest>((ok, fail) => {
            s.digest = { ok, fail };
            s.worker.postMessage('digest');
          });
        } finally {
          release(s);
        }
      },
      cancel() {
        if (ended) return;
        ended = true;
        if (!s.dead) {
          // what was copied in and not sent is dropped; what was sent is hashed, answered, then forgotten
          s.head = s.sent;
          s.worker.postMessage('cancel');
        }
        // a copy waiting for room stops
        wake(s);
        release(s);
      },
    };
  };
}

/** Makes core's long verified streams in this process hash on up to `size` worker threads (default 2). */
export function useNodeSha256Threads(size = 2): void {
  useSha256Offload(sha256ThreadPool(size));
}

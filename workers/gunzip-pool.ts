/**
 * The build worker's gunzip workers (workers/gunzip.worker.ts), for core's offloaded gunzip (useOffloadedGunzip):
 * a layer decoded on the native path is decoded on a worker of its own, so on a pull the download, the store's
 * write, the digests and the archive's write no longer take turns with the decoder on one thread. A worker
 * starts on first use and stays for the streams that follow; when every worker is busy (or one failed to run)
 * the stream is decoded where it is read. Asked to, the worker also hashes the decoded output as it makes it (a
 * layer's diff_id), so those bytes need no other pass. Compressed chunks are gathered into pieces of at least
 * IN_PIECE before they cross: one message and one decoder write per piece instead of per network chunk.
 */
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { GunzipOffload, OffloadedGunzip } from '../src/core/compress';
import type { Digest } from '../src/core/digest';
import { registerErrorTransfer } from './error-transfer';
import type { GunzipEnd, GunzipWorkerApi } from './gunzip-job';

/** Compressed pieces handed over and not yet decoded; the stream waits beyond this. */
const IN_FLIGHT = 4;

/** Compressed bytes gathered before they are handed over (network chunks are a few KiB to 64 KiB each). */
const IN_PIECE = 256 * 1024;

interface PoolWorker { worker: Worker; api: Remote<GunzipWorkerApi>; busy: boolean; dead?: Error; fail?: (e: Error) => void }

/**
 * A failure of the decoder over there, as a plain Error (not a CoreError), so decompressStream treats it as it
 * treats the native decoder's (a multi-member gzip is then decoded again with fflate).
 */
const decoderError = (e: unknown): Error => new Error(`gzip decoder: ${e instanceof Error ? e.message : String(e)}`);

/** Starts a gunzip worker. */
const startWorker = (): Worker => new Worker(new URL('./gunzip.worker.ts', import.meta.url), { type: 'module', name: 'gunzip' });

/** An offload over at most `size` gunzip workers, made by `create` (tests give a stand-in). */
export function gunzipWorkerPool(size: number, create: () => Worker = startWorker): GunzipOffload {
  registerErrorTransfer();
  const all: PoolWorker[] = [];
  const start = (): PoolWorker => {
    const worker = create();
    const w: PoolWorker = { worker, api: wrap<GunzipWorkerApi>(worker), busy: false };
    worker.addEventListener('error', (e) => {
      // a worker that fails to run is dropped: its stream fails (and is decoded again here), later ones run here
      e.preventDefault();
      all.splice(all.indexOf(w), 1);
      w.dead = new Error(`a gunzip worker failed: ${e.message || 'it did not start'}`);
      w.fail?.(w.dead);
      w.api[releaseProxy]();
      worker.terminate();
    });
    all.push(w);
    return w;
  };
  return (opts = {}): OffloadedGunzip | undefined => {
    const w = all.find((x) => !x.busy) ?? (all.length < size ? start() : undefined);
    if (!w) return undefined;
    w.busy = true;
    const hash = opts.hashOutput === true;
    let settleDigest!: { ok: (d: Digest) => void; fail: (e: unknown) => void };
    const outputDigest = new Promise<Digest>((ok, fail) => { settleDigest = { ok, fail }; });
    outputDigest.catch(() => {});
    /** compressed bytes gathered and not yet handed over */
    let gathered: Uint8Array | undefined;
    let held = 0;
    /** pushes whose decoded pieces are not yet enqueued, oldest first (they answer in order) */
    const inFlight: Promise<void>[] = [];
    let failed: Error | undefined;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      w.fail = undefined;
      w.busy = false;
    };
    let controller!: TransformStreamDefaultController<Uint8Array>;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = decoderError(e);
      settleDigest.fail(failed);
      try { controller.error(failed); } catch { /* already closed or errored */ }
      w.api.cancel().catch(() => {});
      release();
    };
    const enqueue = (pieces: Uint8Array[]) => { if (!failed) for (const p of pieces) controller.enqueue(p); };
    const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
      async start(c) {
        controller = c;
        w.fail = fail;
        if (w.dead) throw decoderError(w.dead);
        await w.api.start(hash);
      },
      async transform(chunk) {
        if (failed) throw failed;
        if (chunk.byteLength === 0) return;
        // copied into a piece of its own to hand over: the same chunk goes on elsewhere (a download is stored as
        // it is decoded); `set` copies from every kind of chunk (a Buffer's slice() would share)
        if (held + chunk.byteLength > IN_PIECE && held > 0) await handOver();
        const buf = (gathered ??= new Uint8Array(Math.max(IN_PIECE, chunk.byteLength)));
        buf.set(chunk, held);
        held += chunk.byteLength;
        if (held >= IN_PIECE) await handOver();
        if (failed) throw failed;
      },
      async flush() {
        if (held > 0) await handOver();
        await Promise.all(inFlight.splice(0));
        if (failed) throw failed;
        let end: GunzipEnd;
        try {
          end = await w.api.end();
        } catch (e) {
          fail(e);
          throw failed;
        }
        enqueue(end.pieces);
        if (hash) {
          if (end.digest) settleDigest.ok(end.digest);
          else settleDigest.fail(new Error('the gunzip worker gave no digest of its output'));
        }
        release();
      },
      cancel(reason) {
        settleDigest.fail(reason);
        if (done) return;
        w.api.cancel().catch(() => {});
        release();
      },
    };
    /** hands the gathered bytes over (transferred), waiting while IN_FLIGHT pieces are not yet decoded */
    const handOver = async () => {
      const own = gathered!.subarray(0, held);
      gathered = undefined;
      held = 0;
      const p = w.api.push(transfer(own, [own.buffer])).then(enqueue, fail);
      inFlight.push(p);
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    };
    return {
      stream: new TransformStream<Uint8Array, Uint8Array>(transformer),
      outputDigest: () => hash ? outputDigest : Promise.reject(new Error('the output of this gunzip is not hashed')),
    };
  };
}

/**
 * Node: zstd decoded by fzstd in a small pool of worker threads (one per core, at most 4), so several
 * packages decode at once and the main thread is left to hash, relocate and write. Streams are spread
 * over the workers; a worker keeps one decoder per stream. Chunks go over by transfer and come back the
 * same way, one round trip per input chunk (the stream's pace, nothing queued). Same bytes as the
 * in-thread decoder.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { useZstdEngine } from './decompress';

// dynamic imports only: the worker's source may be evaluated as CommonJS or as a module (--input-type)
const WORKER = `
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const { Decompress } = await import(workerData.fzstd);
  const decoders = new Map();
  parentPort.on('message', ({ id, chunk, final, drop }) => {
    if (drop) { decoders.delete(id); return; }
    let d = decoders.get(id);
    try {
      if (!d) { d = { out: [], z: undefined }; d.z = new Decompress((b) => { if (b.byteLength) d.out.push(b); }); decoders.set(id, d); }
      d.z.push(chunk, final);
      const parts = d.out; d.out = [];
      if (final) decoders.delete(id);
      parentPort.postMessage({ parts }, [...new Set(parts.map((p) => p.buffer))]);
    } catch (e) {
      decoders.delete(id);
      parentPort.postMessage({ error: e && e.message ? e.message : String(e) });
    }
  });
})();
`;

interface Pooled { worker: Worker; replies: ((m: { parts?: Uint8Array[]; error?: string }) => void)[] }

/** Makes every core zstd decode in this process run in worker threads. */
export function useNodeZstd(size = Math.min(4, Math.max(1, availableParallelism()))): void {
  const fzstd = pathToFileURL(createRequire(import.meta.url).resolve('fzstd')).href;
  const pool: Pooled[] = [];
  let nextId = 0;
  const workerFor = (id: number): Pooled => {
    if (pool.length < size) {
      const p: Pooled = { worker: new Worker(WORKER, { eval: true, workerData: { fzstd } }), replies: [] };
      // referenced only while a reply is awaited: an idle pool never keeps the process alive
      p.worker.on('message', (m) => { p.replies.shift()?.(m); if (p.replies.length === 0) p.worker.unref(); });
      p.worker.on('error', (e) => { for (const r of p.replies.splice(0)) r({ error: e.message }); p.worker.unref(); });
      p.worker.unref();
      pool.push(p);
      return p;
    }
    return pool[id % pool.length];
  };
  useZstdEngine(() => {
    const id = nextId++;
    const p = workerFor(id);
    let sawInput = false;
    let ended = false;
    const call = (chunk: Uint8Array, final: boolean) => new Promise<Uint8Array[]>((ok, fail) => {
      if (p.replies.length === 0) p.worker.ref();
      p.replies.push((m) => (m.error !== undefined ? fail(new Error(m.error)) : ok(m.parts!)));
      const copy = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
      p.worker.postMessage({ id, chunk: copy, final }, [copy.buffer as ArrayBuffer]);
    });
    const registry = new FinalizationRegistry<number>((i) => { if (!ended) p.worker.postMessage({ id: i, drop: true }); });
    const t = new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, c) {
        if (chunk.byteLength === 0) return;
        sawInput = true;
        try {
          for (const part of await call(chunk, false)) c.enqueue(part);
        } catch (e) { ended = true; throw e; }
      },
      async flush(c) {
        ended = true;
        if (!sawInput) throw new Error('empty input');
        for (const part of await call(new Uint8Array(0), true)) c.enqueue(part);
      },
    });
    // a stream abandoned halfway (cancelled, errored upstream) frees its decoder in the worker once its
    // readable side, which the reader holds to the end, is collected
    registry.register(t.readable, id);
    return t;
  });
}

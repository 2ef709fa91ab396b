/**
 * The gunzip worker's calls (workers/gunzip.worker.ts exposes them; workers/gunzip-pool.ts calls them): one gzip
 * stream at a time decoded with the runtime's DecompressionStream. The compressed bytes come in pieces
 * (transferred); each push answers with the decoded output gathered so far in whole pieces of PIECE bytes
 * (transferred back), the end with the rest. A decoder failure rejects the push or the end that meets it.
 */
import { transfer } from 'comlink';

/** Decoded bytes gathered into one piece before it is handed back: one message and one write per piece downstream. */
const PIECE = 1 << 20;

interface Job {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** the read loop: settles once the decoder's output has ended (or failed) */
  drained: Promise<void>;
  /** whole pieces not yet handed back */
  ready: Uint8Array[];
  /** the piece being filled, and how much of it is */
  filling?: Uint8Array;
  held: number;
}

/** The pieces ready to hand back, transferred (the last, partial one too when `all`). */
function take(j: Job, all: boolean): Uint8Array[] {
  const out = j.ready.splice(0);
  if (all && j.filling && j.held > 0) {
    out.push(j.filling.subarray(0, j.held));
    j.filling = undefined;
    j.held = 0;
  }
  return transfer(out, out.map((p) => p.buffer));
}

function begin(): Job {
  const ds = new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
  const j: Job = { writer: ds.writable.getWriter(), drained: Promise.resolve(), ready: [], held: 0 };
  const reader = ds.readable.getReader();
  j.drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const v = r.value;
      for (let off = 0; off < v.byteLength;) {
        const buf = (j.filling ??= new Uint8Array(PIECE));
        const n = Math.min(PIECE - j.held, v.byteLength - off);
        buf.set(v.subarray(off, off + n), j.held);
        j.held += n;
        off += n;
        if (j.held === PIECE) { j.ready.push(buf); j.filling = undefined; j.held = 0; }
      }
    }
  })();
  j.drained.catch(() => {});
  return j;
}

/** A fresh set of calls with no stream started (a worker makes one). */
export function gunzipWorkerApi() {
  let job: Job | undefined;
  return {
    /** Starts a new stream (a previous one, unfinished, is dropped). */
    start(): void {
      job?.writer.abort().catch(() => {});
      job = begin();
    },
    /** Decodes `bytes` (the next compressed piece); resolves with the whole decoded pieces gathered so far. */
    async push(bytes: Uint8Array): Promise<Uint8Array[]> {
      const j = job;
      if (!j) throw new Error('gunzip: no stream started');
      await j.writer.write(bytes);
      return take(j, false);
    },
    /** Ends the stream; resolves with the rest of the decoded bytes, or rejects when the gzip stream was bad or cut short. */
    async end(): Promise<Uint8Array[]> {
      const j = job;
      if (!j) throw new Error('gunzip: no stream started');
      await j.writer.close();
      await j.drained;
      job = undefined;
      return take(j, true);
    },
    /** Drops the stream. */
    cancel(): void {
      job?.writer.abort().catch(() => {});
      job = undefined;
    },
  };
}

/** What the gunzip worker answers to. */
export type GunzipWorkerApi = ReturnType<typeof gunzipWorkerApi>;

/**
 * The gunzip worker's calls (workers/gunzip.worker.ts exposes them; workers/gunzip-pool.ts calls them): one gzip
 * stream at a time decoded with the runtime's DecompressionStream. The compressed bytes come in pieces
 * (transferred); each push answers with the decoded output gathered so far in whole pieces of PIECE bytes
 * (transferred back), the end with the rest. A stream started with `hash` also takes the sha256 of its decoded
 * output here, each decoded chunk as it leaves the decoder, and the end answers with it (a layer's diff_id is
 * then checked without another pass over the bytes on another thread). A decoder failure rejects the push or
 * the end that meets it.
 */
import { transfer } from 'comlink';
import { createSha256, type Digest, type Sha256 } from '../src/core/digest';

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
  /** the sha256 of the decoded output, for a stream started with `hash` */
  hasher?: Sha256;
}

/** What the end of a stream answers: the rest of the decoded bytes, and their whole sha256 when the stream was started with `hash`. */
export interface GunzipEnd { pieces: Uint8Array[]; digest?: Digest }

/** The pieces ready to hand back (the last, partial one too when `all`). */
function take(j: Job, all: boolean): Uint8Array[] {
  const out = j.ready.splice(0);
  if (all && j.filling && j.held > 0) {
    out.push(j.filling.subarray(0, j.held));
    j.filling = undefined;
    j.held = 0;
  }
  return out;
}

function begin(hasher: Sha256 | undefined): Job {
  const ds = new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
  const j: Job = { writer: ds.writable.getWriter(), drained: Promise.resolve(), ready: [], held: 0, hasher };
  const reader = ds.readable.getReader();
  j.drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const v = r.value;
      // hashed while the decoder's chunk is still in the cache, before it is copied into a piece
      j.hasher?.update(v);
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
    /** Starts a new stream (a previous one, unfinished, is dropped); with `hash`, its decoded output is hashed too. */
    async start(hash = false): Promise<void> {
      job?.writer.abort().catch(() => {});
      job = undefined;
      const hasher = hash ? await createSha256() : undefined;
      job = begin(hasher);
    },
    /** Decodes `bytes` (the next compressed piece); resolves with the whole decoded pieces gathered so far. */
    async push(bytes: Uint8Array): Promise<Uint8Array[]> {
      const j = job;
      if (!j) throw new Error('gunzip: no stream started');
      await j.writer.write(bytes);
      const out = take(j, false);
      return transfer(out, out.map((p) => p.buffer));
    },
    /**
     * Ends the stream; resolves with the rest of the decoded bytes (and the sha256 of all of them, for a stream
     * started with `hash`), or rejects when the gzip stream was bad or cut short.
     */
    async end(): Promise<GunzipEnd> {
      const j = job;
      if (!j) throw new Error('gunzip: no stream started');
      await j.writer.close();
      await j.drained;
      job = undefined;
      const pieces = take(j, true);
      return transfer({ pieces, ...(j.hasher ? { digest: j.hasher.digest() } : {}) }, pieces.map((p) => p.buffer));
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

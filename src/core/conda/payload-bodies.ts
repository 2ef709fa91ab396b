/**
 * File bodies of installed packages, read in bulk (a payload already in memory is simply sliced): a package's payload tar is a Blob (a temporary file in
 * Node, the browser's blob storage elsewhere), and a file's bytes are a range of it. Reading each file as
 * its own Blob costs one Blob read per file and per pass (≈ 0.6 ms each in Chromium, ≈ 0.07 ms in Node;
 * an environment has tens of thousands of files, written twice: once for the layer digest, once into the
 * archive). Here a payload is read whole, once per pass, and its files are views of that read.
 *
 * Memory stays bounded: at most `budget` bytes of payloads are held at once (least recently used dropped),
 * payloads over `maxBulk` keep one Blob read per file, and a payload dropped and asked for again too often
 * (files of several packages interleaved in one layer, which the budget cannot hold) falls back to per-file
 * reads instead of being read whole again and again.
 */
import type { TarWriteEntry } from '../tar';

const MiB = 1024 * 1024;

/** Options of PayloadBodies (bytes). */
export interface PayloadBodiesOptions {
  /** payload bytes held at once (default 256 MiB) */
  budget?: number;
  /** payloads larger than this are read per file (default 128 MiB) */
  maxBulk?: number;
  /** whole reads of one payload before it is read per file instead (default 4: install, digest, write, one spare) */
  maxReads?: number;
}

/** Bodies for file ranges of payload Blobs, read a payload at a time (see the module comment). */
export class PayloadBodies {
  private readonly held = new Map<Blob, Promise<Uint8Array>>(); // in use order: the first is the least recent
  private heldBytes = 0;
  private readonly reads = new WeakMap<Blob, number>();
  private readonly budget: number;
  private readonly maxBulk: number;
  private readonly maxReads: number;

  constructor(opts: PayloadBodiesOptions = {}) {
    this.budget = opts.budget ?? 256 * MiB;
    this.maxBulk = opts.maxBulk ?? 128 * MiB;
    this.maxReads = opts.maxReads ?? 4;
  }

  /** The whole payload's bytes, or undefined when it is to be read per file. */
  private whole(payload: Blob): Promise<Uint8Array> | undefined {
    const have = this.held.get(payload);
    if (have) {
      this.held.delete(payload); // most recent now
      this.held.set(payload, have);
      return have;
    }
    const reads = this.reads.get(payload) ?? 0;
    if (payload.size > this.maxBulk || reads >= this.maxReads) return undefined;
    this.reads.set(payload, reads + 1);
    const bytes = payload.arrayBuffer().then((b) => new Uint8Array(b));
    bytes.catch(() => this.drop(payload));
    this.held.set(payload, bytes);
    this.heldBytes += payload.size;
    for (const old of this.held.keys()) {
      if (this.heldBytes <= this.budget || old === payload) break;
      this.drop(old);
    }
    return bytes;
  }

  private drop(payload: Blob): void {
    if (this.held.delete(payload)) this.heldBytes -= payload.size;
  }

  /** Bytes [start, end) of `payload`: a view of the whole payload's read, or a read of that range alone. */
  async read(payload: Blob | Uint8Array, start: number, end: number): Promise<Uint8Array> {
    if (payload instanceof Uint8Array) return payload.subarray(start, end);
    const whole = this.whole(payload);
    return whole ? (await whole).subarray(start, end) : new Uint8Array(await payload.slice(start, end).arrayBuffer());
  }

  /** A tar entry body for bytes [start, end) of `payload`, read when the tar is written (each time). */
  body(payload: Blob | Uint8Array, start: number, end: number): NonNullable<TarWriteEntry['body']> {
    if (end <= start) return new Uint8Array(0);
    if (payload instanceof Uint8Array) return payload.subarray(start, end);
    if (payload.size > this.maxBulk) return payload.slice(start, end);
    return () => {
      let done = false;
      return new ReadableStream<Uint8Array>({
        pull: async (c) => {
          if (done) return;
          done = true;
          c.enqueue(await this.read(payload, start, end));
          c.close();
        },
      }, { highWaterMark: 0 });
    };
  }
}

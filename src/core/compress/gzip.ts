import type { Gzip } from 'fflate';

/** Options of gzipStream. */
export interface GzipStreamOptions {
  /** deflate level 0–9 (default 6, gzip's own default) */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * Compresses a stream with gzip, deterministically: the same input bytes and level always give
 * the same output bytes (fflate; header mtime 0, no file name, OS byte 3 "Unix"; chunk sizes of
 * the input do not matter). Use it for new layers that are pushed compressed.
 */
export function gzipStream(stream: ReadableStream<Uint8Array>, opts: GzipStreamOptions = {}): ReadableStream<Uint8Array> {
  let g: Gzip;
  // fflate's output depends on where pushes split the input: feed it fixed-size blocks only.
  const block = new Uint8Array(BLOCK);
  let fill = 0;
  return stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    // fflate is imported when a stream first needs it (see gunzip.ts)
    async start(controller) {
      const { Gzip } = await import('fflate');
      g = new Gzip({ level: opts.level ?? 6, mtime: 0 }, (data) => { if (data.byteLength) controller.enqueue(data); });
    },
    transform(chunk) {
      let o = 0;
      while (o < chunk.byteLength) {
        const n = Math.min(BLOCK - fill, chunk.byteLength - o);
        block.set(chunk.subarray(o, o + n), fill);
        fill += n;
        o += n;
        if (fill === BLOCK) { g.push(block.slice(), false); fill = 0; }
      }
    },
    flush() { g.push(block.slice(0, fill), true); },
  }));
}

/** Input block size fed to the deflater (bytes, uncompressed). Changing it changes the output. */
const BLOCK = 65536;

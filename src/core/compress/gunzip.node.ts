/** Node's zlib as the core's gzip decoder: large output chunks, decoded on the thread pool. */
import { createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import { ByteBatch } from '../stream';
import { useGunzipEngine } from './decompress';

/** Output chunk size: zlib fills buffers of this size, handed on as slices. */
const CHUNK = 1 << 20;
/** Output that may wait to be read: the thread pool keeps inflating while the main thread hashes and writes. */
const AHEAD = 4 << 20;
/** Input zlib may hold before a write waits. */
const BEHIND = 1 << 20;
/** The least input handed to zlib at once. */
const IN = 256 << 10;

/**
 * zlib's gunzip as a web stream pair. Its output is handed on as zlib wrote it, not copied (the
 * generic `Duplex.toWeb` copies every chunk, which for a layer is a second allocation of every uncompressed
 * byte and keeps the collector busy). The slices zlib hands out are never written again (it takes a fresh
 * buffer once one is full), so a reader may keep them; it must not transfer one (its buffer holds its
 * neighbours). Backpressure both ways: zlib pauses once AHEAD bytes wait to be read, and a write waits once
 * BEHIND bytes of input wait to be inflated.
 */
export function nodeGunzipStream(): ReadableWritablePair<Uint8Array, Uint8Array> {
  const gz: Gunzip = createGunzip({ chunkSize: CHUNK, readableHighWaterMark: AHEAD, writableHighWaterMark: BEHIND } as ZlibOptions);
  let failure: unknown;
  const failed = new Promise<never>((_, fail) => gz.once('error', (e) => { failure = e; fail(e); }));
  failed.catch(() => {});
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      // zlib hands out a slice per input chunk, one after another in the same buffer until it is full: they go
      // on as one view of each buffer (no copy; a reader gets chunks of CHUNK bytes, not many small pieces)
      let pending: Uint8Array | undefined;
      gz.on('data', (d: Buffer) => {
        if (pending && pending.buffer === d.buffer && pending.byteOffset + pending.byteLength === d.byteOffset) {
          pending = new Uint8Array(d.buffer, pending.byteOffset, pending.byteLength + d.byteLength);
        } else {
          if (pending) c.enqueue(pending);
          pending = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
        }
        if (pending.byteOffset + pending.byteLength >= d.buffer.byteLength) { c.enqueue(pending); pending = undefined; }
        if ((c.desiredSize ?? 0) <= 0) gz.pause();
      });
      gz.once('end', () => {
        if (pending) c.enqueue(pending);
        c.close();
      });
      failed.catch((e: unknown) => { try { c.error(e); } catch { /* already closed or cancelled */ } });
      gz.pause();
    },
    pull() { gz.resume(); },
    cancel(reason) { gz.destroy(reason instanceof Error ? reason : undefined); },
  }, { highWaterMark: AHEAD, size: (c) => c.byteLength });
  // input goes to zlib in pieces of at least IN bytes (network chunks are often 16-64 KiB): each piece is a round
  // trip to the thread pool
  const batch = new ByteBatch();
  const give = (): boolean => gz.write(batch.take());
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (failure !== undefined) return Promise.reject(failure);
      // zlib queues up to BEHIND bytes of input and inflates them one after another on the thread pool: a write
      // waits only once that much is queued, so zlib is not idle while this thread hashes and writes
      if (batch.add(chunk) < IN || give()) return undefined;
      return Promise.race([failed, new Promise<void>((ok) => { gz.once('drain', ok); })]);
    },
    close() {
      if (failure !== undefined) return Promise.reject(failure);
      if (batch.size > 0) give();
      return Promise.race([failed, new Promise<void>((ok) => { gz.end(() => ok()); })]);
    },
    abort(reason) { gz.destroy(reason instanceof Error ? reason : undefined); },
  });
  return { readable, writable };
}

/**
 * Makes every core gzip decode in this process use zlib (nodeGunzipStream: 1 MiB output chunks, multi-member
 * gzip included, up to 4 MiB decoded ahead of the reader).
 */
export function useNodeGunzip(): void {
  useGunzipEngine(() => nodeGunzipStream() as TransformStream<Uint8Array, Uint8Array>);
}

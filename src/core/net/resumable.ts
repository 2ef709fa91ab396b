/**
 * A download body that survives dropped connections: when the body errors mid-way, the request is sent
 * again with `Range: bytes=<received>-` and the stream carries on from there (a server that ignores the
 * Range and sends everything again has the bytes already passed on skipped). The consumer verifies the
 * whole (a BlobStore checks the digest), so nothing unverified is ever kept.
 */
import { CoreError, toError } from '../errors';

/** Options of resumableBody. */
export interface ResumableOptions {
  signal?: AbortSignal;
  /** attempts in all, the first included (default 3) */
  maxTries?: number;
  /** names the download in errors (a package file name) */
  what: string;
}

/** The body of `url` as one stream, resumed with Range after a cut; errors name `what` and the bytes reached. */
export async function resumableBody(doFetch: typeof fetch, url: string, opts: ResumableOptions): Promise<ReadableStream<Uint8Array>> {
  const maxTries = opts.maxTries ?? 3;
  let tries = 0;
  let received = 0;
  const open = async (): Promise<ReadableStreamDefaultReader<Uint8Array>> => {
    tries++;
    let res: Response;
    try {
      res = await doFetch(url, { signal: opts.signal, ...(received > 0 ? { headers: { range: `bytes=${received}-` } } : {}) });
    } catch (e) {
      throw new CoreError('network-error', `${opts.what}: download from ${url} failed: ${toError(e).message}`, { cause: e });
    }
    if (!(res.ok || res.status === 206) || !res.body) throw new CoreError('network-error', `${opts.what}: ${url} answered HTTP ${res.status}`);
    const r = res.body.getReader();
    // no range support: drop what was passed on already
    return received > 0 && res.status !== 206 ? skipBytes(r, received) : r;
  };
  let reader = await open();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (opts.signal?.aborted || tries >= maxTries) {
            throw new CoreError('network-error', `${opts.what}: the download from ${url} was cut after ${received} bytes, ${tries} tries (${toError(e).message})`, { cause: e });
          }
          reader = await open();
          continue;
        }
        if (chunk.done) { controller.close(); return; }
        received += chunk.value.byteLength;
        controller.enqueue(chunk.value);
        return;
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** `r` without its first `skip` bytes (a whole body sent again where a Range was asked for). */
export function skipBytes(r: ReadableStreamDefaultReader<Uint8Array>, skip: number): ReadableStreamDefaultReader<Uint8Array> {
  if (skip === 0) return r;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      for (;;) {
        const { done, value } = await r.read();
        if (done) { c.close(); return; }
        if (skip >= value.byteLength) { skip -= value.byteLength; continue; }
        c.enqueue(skip ? value.subarray(skip) : value);
        skip = 0;
        return;
      }
    },
    cancel: (reason) => r.cancel(reason),
  }).getReader();
}

/**
 * Streaming tar reader: any chunking of an uncompressed tar stream in, entries with streamed bodies out.
 * Bodies are passed through chunk by chunk (never buffered whole); the source is read only when the
 * consumer pulls, so backpressure reaches the producer.
 */
import { CoreError, TarError } from '../errors';
import { walkTar, type TarSource } from './entries';
import type { TarEntry, TarWarning } from './types';

/** Largest body chunk handed out, in bytes (chunks of the source are split, never joined). */
const MAX_BODY_CHUNK = 256 * 1024;

/** A TarSource over a stream reader, holding at most the chunks needed for one header. */
class StreamSource implements TarSource {
  position = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (!this.ended) {
      const r = await this.reader.read();
      if (r.done) this.ended = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.buffered += r.value.length;
        return true;
      }
    }
    return false;
  }

  /** Takes up to `n` buffered bytes from the first chunk (no copy). */
  private takeSome(n: number): Uint8Array {
    const first = this.chunks[0];
    const out = first.length <= n ? first : first.subarray(0, n);
    if (first.length <= n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= out.length;
    this.position += out.length;
    return out;
  }

  async read(n: number): Promise<Uint8Array> {
    while (this.buffered < n && (await this.fill()));
    const len = Math.min(n, this.buffered);
    if (len > 0 && this.chunks[0].length >= len) return this.takeSome(len);
    const out = new Uint8Array(len);
    for (let at = 0; at < len; ) {
      const part = this.takeSome(len - at);
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Up to `max` bytes, as soon as any are available; empty only at the end of the input. */
  async readSome(max: number): Promise<Uint8Array> {
    if (this.buffered === 0 && !(await this.fill())) return new Uint8Array(0);
    return this.takeSome(max);
  }

  async skip(n: number): Promise<number> {
    let done = 0;
    while (done < n && (this.buffered > 0 || (await this.fill()))) done += this.takeSome(n - done).length;
    return done;
  }
}

/** State of the body stream handed out with the current entry. */
interface Body {
  detached: boolean;
  pending?: Promise<void>;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  closed: boolean;
}

function bodyStream(src: StreamSource, entry: TarEntry, state: Body, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let consumed = 0;
  const pull = async (c: ReadableStreamDefaultController<Uint8Array>) => {
    if (state.detached) return;
    signal?.throwIfAborted();
    if (consumed >= entry.size) {
      state.closed = true;
      c.close();
      return;
    }
    const chunk = await src.readSome(Math.min(entry.size - consumed, MAX_BODY_CHUNK));
    if (chunk.length === 0) {
      state.closed = true;
      c.error(new TarError('tar-truncated', `tar ends inside the data of '${entry.name}' (${consumed} of ${entry.size} bytes)`, src.position));
      return;
    }
    consumed += chunk.length;
    c.enqueue(chunk);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        state.controller = c;
      },
      pull(c) {
        state.pending = pull(c);
        return state.pending;
      },
      cancel() {
        state.detached = true; // the walk skips the rest of the body when the loop advances
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Streaming reader over any chunking of an (uncompressed) tar stream. Each entry's body must be read
 * inside the loop, or it is skipped when the loop advances (reading it later errors). Errors: TarError
 * 'tar-truncated' / 'tar-corrupt' as for `indexTar`; warnings go to `onWarning`. Leaving the loop early
 * cancels the input stream.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  opts?: { onWarning?: (w: TarWarning) => void; signal?: AbortSignal },
): AsyncGenerator<{ entry: TarEntry; body: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const src = new StreamSource(reader);
  const walk = walkTar(src, opts?.onWarning ?? (() => {}), opts?.signal);
  let body: Body | undefined;
  try {
    for (;;) {
      if (body) {
        body.detached = true;
        await body.pending?.catch(() => {});
        if (!body.closed) {
          body.closed = true;
          body.controller?.error(new CoreError('invalid-argument', 'a tar entry body was read after the reader moved to the next entry; read each body inside the loop'));
        }
      }
      const r = await walk.next();
      if (r.done) return;
      body = { detached: false, closed: false };
      yield { entry: r.value, body: bodyStream(src, r.value, body, opts?.signal) };
    }
  } finally {
    await walk.return(0).catch(() => {});
    await reader.cancel().catch(() => {});
  }
}

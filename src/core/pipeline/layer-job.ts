/**
 * One layer of an environment built as a unit of work: open its packages, link them into the prefix,
 * write the layer's tar and hash it. A job depends only on its packages and the install options, so jobs
 * run anywhere (this thread, worker threads in Node, Web Workers in a browser) and in any order, and give
 * the same bytes: the pipeline runs them in parallel and writes their layers in order.
 *
 * Packages whose payloads fit `MAX_IN_MEMORY` are decoded into memory (zstd in WebAssembly, one buffer
 * each), and the layer's tar is made in one buffer of its exact size and hashed in one call. Larger ones
 * take the streaming path (payload and layer spilled, as the pipeline always did), so memory stays bounded.
 */
import { CoreError } from '../errors';
import { createSha256, hashingStream, pieceHashingStream, pieceVerifier, sha256, streamSha256, type Digest, type PieceDigests } from '../digest';
import { installPackage, openCondaPackage, PayloadBodies, withParents, type InstalledPackage, type PackageOrigin } from '../conda';
import { MediaTypes } from '../oci';
import { tarPieces, writeTar, type TarWriteEntry } from '../tar';
import { freeNow } from '../stream';
import type { CheckedAfterReadLayer, Layer } from '../image';

/** A package of a layer job. */
export interface LayerJobPackage {
  fn: string;
  /** the verified .conda / .tar.bz2 */
  blob: Blob;
  origin?: PackageOrigin;
}

/** What a layer job needs: its packages (link order) and the install options. */
export interface LayerJob {
  packages: LayerJobPackage[];
  prefix: string;
  epoch: number;
  pythonVersion?: string;
  /**
   * also take the sha256 of each piece of the tar (LayerJobResult.pieces), where the tar is stored as it is
   * made (LayerJobOptions.tarSink): a layer cache asks for them for the layers it keeps
   */
  pieceDigests?: boolean;
}

/** A linked package without its tar entries (they went into the layer). */
export type InstalledSummary = Omit<InstalledPackage, 'entries'>;

/** A layer's tar: in memory as one buffer or as pieces in order (see LayerJobOptions.pieces), or stored. */
export type LayerTar = Uint8Array | Uint8Array[] | Blob;

/** A built layer. */
export interface LayerJobResult {
  /** sha256 of the tar (= diff_id: the layer is uncompressed) */
  digest: Digest;
  /** bytes of the tar */
  size: number;
  /**
   * the tar: in memory (one buffer, or pieces to be read in order with `pieces`), or stored (a temporary file
   * in Node) when the job took the streaming path
   */
  tar: LayerTar;
  packages: InstalledSummary[];
  /**
   * the sha256 of each piece of the tar, taken from the same bytes as `digest` as the tar was made (with
   * LayerJob.pieceDigests): a cache records them, and checks its copy piece by piece when it gives it
   * out again
   */
  pieces?: PieceDigests;
  /**
   * Set when `tar` comes from a cache that has not hashed it yet: its reader hashes it (piece by piece when
   * the cache recorded `pieces`, else whole), and on a mismatch calls `drop()` (the cache forgets the entry)
   * and runs the job again.
   */
  unverified?: { drop(): Promise<void>; pieces?: PieceDigests };
}

/**
 * Runs layer jobs (on this thread, or in workers). A job still waiting for its turn when `signal` aborts
 * is dropped (rejects with the signal's reason); one already running finishes.
 */
export type LayerRunner = (job: LayerJob, signal?: AbortSignal) => Promise<LayerJobResult>;

/** Options of runLayerJob. */
export interface LayerJobOptions {
  /** stores a payload or layer too large for memory (default: an in-memory Blob) */
  spill?: (s: ReadableStream<Uint8Array>) => Promise<Blob>;
  /** payload bytes decoded into memory per job (default MAX_IN_MEMORY) */
  maxInMemory?: number;
  /**
   * Stores the layer's tar as it is made, so it is never held whole (a browser's layer worker writes it into
   * OPFS): given the tar's stream and the digest and size of exactly those bytes (settled once the stream
   * ended), resolves with the stored tar. Without it a layer whose bodies are all in memory is made in one buffer.
   */
  tarSink?: (tar: ReadableStream<Uint8Array>, hashed: Promise<{ digest: Digest; size: number }>) => Promise<Blob>;
  /**
   * A layer made in memory may come as pieces (LayerTar): the bodies of files in payloads decoded into buffers
   * of their own (past the sizes a thread keeps for reuse) are views of those buffers, which the result then
   * owns, instead of being copied into one buffer with the rest. For a thread that hands the tar on by
   * transfer (Node's layer threads): no copy of most of the layer's bytes, no second buffer of its size.
   */
  pieces?: boolean;
}

const MiB = 1024 * 1024;
/** Payload bytes a job decodes into memory; the rest of its packages take the streaming path. */
export const MAX_IN_MEMORY = 192 * MiB;

/** Builds one layer on this thread. */
export async function runLayerJob(job: LayerJob, opts: LayerJobOptions = {}): Promise<LayerJobResult> {
  if (job.packages.length === 0) throw new CoreError('invalid-argument', 'a layer job needs at least one package');
  const room = opts.maxInMemory ?? MAX_IN_MEMORY;
  const bodies = new PayloadBodies();
  const buffers = new Scratch();
  try {
    return await build(job, opts, room, bodies, buffers);
  } finally {
    buffers.release();
  }
}

/** Bodies of at least this many bytes are left where they are in a layer made as pieces. */
const MIN_VIEW = 64 * 1024;

/** Payload buffer bytes a thread keeps between its jobs (Scratch). */
const KEEP_BYTES = 16 * MiB;

/**
 * Payload buffers of a thread's jobs. The payloads are copied into the layer's tar, so once a job ends its
 * buffers are free: up to KEEP_BYTES of them are kept for the next jobs (most packages are small, and warm
 * memory spares page faults), the others are given back at once, so a worker holds only the payloads of the
 * job it runs, not those of every package it ever decoded waiting for a collection. Kept buffers are given
 * back once no job has asked for one for a second, so an idle worker (a tab between builds) holds none.
 */
class Scratch {
  private static free: Uint8Array[] = [];
  private static kept = 0;
  private static idle: ReturnType<typeof setTimeout> | undefined;
  private readonly taken: Uint8Array[] = [];

  /**
   * Whether `buffer` is one this job took for itself alone (past KEEP_BYTES, never reused): then it is given
   * to the job's result, which outlives the job, and release() leaves it alone.
   */
  giveAway(buffer: ArrayBufferLike): boolean {
    const i = this.taken.findIndex((b) => b.buffer === buffer && b.byteLength > KEEP_BYTES);
    if (i < 0) return false;
    this.taken.splice(i, 1);
    return true;
  }

  take(size: number): Uint8Array {
    if (Scratch.idle !== undefined) { clearTimeout(Scratch.idle); Scratch.idle = undefined; }
    const i = Scratch.free.findIndex((b) => b.byteLength >= size);
    let b: Uint8Array;
    if (i >= 0) {
      b = Scratch.free.splice(i, 1)[0];
      Scratch.kept -= b.byteLength;
    } else {
      b = new Uint8Array(size > KEEP_BYTES ? size : Math.max(size, 4 * MiB));
    }
    this.taken.push(b);
    return b.byteLength === size ? b : b.subarray(0, size);
  }

  /** Called once the job's tar is written: nothing reads its buffers any more. */
  release(): void {
    for (const b of this.taken.splice(0)) {
      if (Scratch.kept + b.byteLength > KEEP_BYTES) { freeNow(b); continue; }
      Scratch.free.push(b);
      Scratch.kept += b.byteLength;
    }
    // smallest first: take() picks the smallest that fits
    Scratch.free.sort((a, b) => a.byteLength - b.byteLength);
    if (Scratch.idle !== undefined) clearTimeout(Scratch.idle);
    Scratch.idle = setTimeout(() => {
      for (const b of Scratch.free) freeNow(b);
      Scratch.free = [];
      Scratch.kept = 0;
      Scratch.idle = undefined;
    }, 1000);
    // (Node: the timer must not keep a process alive)
    (Scratch.idle as { unref?: () => void }).unref?.();
  }
}

async function build(job: LayerJob, opts: LayerJobOptions, room: number, bodies: PayloadBodies, buffers: Scratch): Promise<LayerJobResult> {
  const packages: InstalledSummary[] = [];
  const entries: TarWriteEntry[] = [];
  for (const p of job.packages) {
    const pkg = await openCondaPackage(p.blob, p.fn, { inMemory: { maxPayload: room, buffer: (n) => buffers.take(n) }, ...(opts.spill ? { spill: opts.spill } : {}) });
    if (pkg.payload instanceof Uint8Array) room -= pkg.payload.byteLength;
    const inst = await installPackage(pkg, {
      // the payload buffers are this job's until its tar is written (Scratch)
      prefix: job.prefix, epoch: job.epoch, bodies, relocateInPlace: true,
      ...(job.pythonVersion ? { pythonVersion: job.pythonVersion } : {}), ...(p.origin ? { origin: p.origin } : {}),
    });
    const { entries: own, ...summary } = inst;
    for (const e of own) entries.push(e);
    packages.push(summary);
  }
  // one package: installPackage already added its parents and sorted them
  const all = job.packages.length === 1 ? entries : withParents(entries, job.epoch);
  if (!opts.tarSink && all.every((e) => e.body === undefined || e.body instanceof Uint8Array)) {
    if (!opts.pieces) {
      const [tar] = tarPieces(all).pieces;
      return { digest: await sha256(tar), size: tar.byteLength, tar, packages };
    }
    // smaller bodies are copied with the headers: a piece each would cost more than their bytes
    const given = new Set<ArrayBufferLike>();
    const { pieces, size } = tarPieces(all, (body: Uint8Array) => body.byteLength >= MIN_VIEW
      && (given.has(body.buffer) || (buffers.giveAway(body.buffer) && given.add(body.buffer) !== undefined)));
    const h = await createSha256();
    for (const p of pieces) h.update(p);
    return { digest: h.digest(), size, tar: pieces.length === 1 ? pieces[0] : pieces, packages };
  }
  const hashing = hashingStream();
  const spill = opts.spill ?? ((s: ReadableStream<Uint8Array>) => new Response(s).blob());
  // the pieces' digests from the same bytes as the whole digest, in the same pass
  const pieceHashing = opts.tarSink && job.pieceDigests ? pieceHashingStream() : undefined;
  const hashed = writeTar(all).pipeThrough(hashing.stream);
  const stream = pieceHashing ? hashed.pipeThrough(pieceHashing.stream) : hashed;
  const tar = opts.tarSink ? await opts.tarSink(stream, hashing.result) : await spill(stream);
  const { digest, size } = await hashing.result;
  const pieces = pieceHashing && await pieceHashing.result;
  return { digest, size, tar, packages, ...(pieces ? { pieces } : {}) };
}

/**
 * A runner that lets at most `n` jobs run at once (in start order): what runs on one thread must not open
 * every package of an environment at the same time.
 */
export function oneAtATime(run: LayerRunner, n = 1): LayerRunner {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (job, signal) => {
    signal?.throwIfAborted();
    // a finished job hands its place straight to the next waiting one
    if (running >= n) {
      await new Promise<void>((go, stop) => {
        const turn = () => { signal?.removeEventListener('abort', drop); go(); };
        const drop = () => { waiting.splice(waiting.indexOf(turn), 1); stop(signal!.reason); };
        waiting.push(turn);
        signal?.addEventListener('abort', drop, { once: true });
      });
    } else {
      running++;
    }
    try {
      return await run(job, signal);
    } finally {
      const next = waiting.shift();
      if (next) next(); else running--;
    }
  };
}

/** Options of layersFromJobs. */
export interface JobLayersOptions {
  /** drops the jobs not started yet */
  signal?: AbortSignal;
  /** layer bytes held in memory between a job's end and the layer's write; beyond it results are spilled */
  budget?: number;
  /** where results beyond the budget go (default: an in-memory Blob, which a browser may page to disk) */
  spill?: (s: ReadableStream<Uint8Array>) => Promise<Blob>;
}

/** A layer's tar as a stream, in memory in chunks of at most 4 MiB (a Blob streams in its own chunks). */
export function tarStream(tar: LayerTar): ReadableStream<Uint8Array> {
  if (tar instanceof Blob) return tar.stream();
  let pieces: Uint8Array[] | undefined = tar instanceof Uint8Array ? [tar] : tar;
  let piece = 0;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      while (pieces && piece < pieces.length && at >= pieces[piece].byteLength) { piece++; at = 0; }
      if (!pieces || piece >= pieces.length) {
        pieces = undefined; // written: nothing holds it any more
        c.close();
        return;
      }
      const bytes = pieces[piece];
      const n = Math.min(4 * MiB, bytes.byteLength - at);
      c.enqueue(bytes.subarray(at, at + n));
      at += n;
    },
    cancel() { pieces = undefined; },
  }, { highWaterMark: 0 });
}

/** A check of a tar a cache gave unhashed, fed its bytes in order (`update` may give a promise to wait on). */
interface CachedTarCheck { ready(): Promise<void>; update(chunk: Uint8Array): void | Promise<void>; matches(): Promise<boolean>; cancel(): void }

/**
 * The check of a cached tar: against the digests of its pieces where the cache recorded them (WebCrypto, a
 * piece at a time), else against its whole digest (hashed on a hashing thread where one is free).
 */
function cachedTarCheck(check: NonNullable<LayerJobResult['unverified']>, digest: Digest): CachedTarCheck {
  if (check.pieces) {
    const v = pieceVerifier(check.pieces);
    return { ready: async () => {}, update: (chunk) => v.update(chunk), matches: () => v.matches(), cancel() {} };
  }
  const h = streamSha256();
  return { ready: () => h.ready(), update: (chunk) => h.update(chunk), matches: async () => (await h.digest()) === digest, cancel: () => h.cancel() };
}

/** Whether a tar a cache gave unhashed holds the bytes the cache recorded (read whole, here). */
async function cachedTarMatches(tar: LayerTar, digest: Digest, check: NonNullable<LayerJobResult['unverified']>): Promise<boolean> {
  const k = cachedTarCheck(check, digest);
  await k.ready();
  const reader = tarStream(tar).getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) await k.update(r.value);
  } catch (e) {
    k.cancel();
    throw e;
  }
  return k.matches();
}

/**
 * Starts every job now (the runner queues them: its workers take them in order) and returns a Layer per
 * job. A layer's tar is given out once, then released; reading it again runs its job again (same bytes,
 * checked against the digest). Results waiting to be written hold at most `budget` bytes; the rest are
 * spilled. A tar a cache gave unhashed (`unverified`) is hashed before `uncompressed()` gives it out, or as
 * `uncompressedThenChecked()` streams it; bytes that do not match are dropped from the cache and the job is
 * run again.
 */
export function layersFromJobs(jobs: LayerJob[], run: LayerRunner, opts: JobLayersOptions = {}): { layers: Layer[]; results: Promise<Omit<LayerJobResult, 'tar' | 'unverified'>[]> } {
  const budget = opts.budget ?? 512 * MiB;
  let heldBytes = 0;
  const spill = opts.spill ?? ((s: ReadableStream<Uint8Array>) => new Response(s).blob());
  /** each layer's tar until it is given out: only here, so once written nothing keeps it alive */
  const held: (LayerTar | undefined)[] = [];
  /** the cache's hooks for a held tar not hashed yet */
  const unchecked: (LayerJobResult['unverified'] | undefined)[] = [];
  /** a cached tar found good: no more hashing */
  const good = (i: number) => { unchecked[i] = undefined; };
  const started = jobs.map((job, i) => {
    const r = run(job, opts.signal).then(async ({ tar, unverified, ...res }) => {
      unchecked[i] = unverified;
      if (!(tar instanceof Blob) && heldBytes + res.size > budget) {
        held[i] = await spill(tarStream(tar));
      } else {
        if (!(tar instanceof Blob)) heldBytes += res.size;
        held[i] = tar;
      }
      return res;
    });
    r.catch(() => {});
    return r;
  });
  /** job i run again (its cached bytes were dropped, or its tar was released), hashed if a cache gave it */
  const again = async (i: number, expected: Omit<LayerJobResult, 'tar' | 'unverified'>): Promise<LayerTar> => {
    let r = await run(jobs[i]);
    // a cached tar is hashed here; wrong bytes are dropped, so the next run builds the layer
    for (let tries = 0; r.unverified && !(await cachedTarMatches(r.tar, r.digest, r.unverified)); tries++) {
      await r.unverified.drop();
      if (tries > 0) throw new CoreError('digest-mismatch', `layer ${i} of the environment: the cache gave bytes that do not match ${r.digest} twice`);
      r = await run(jobs[i]);
    }
    if (r.digest !== expected.digest || r.size !== expected.size) {
      throw new CoreError('digest-mismatch', `layer ${i} of the environment came out different when built again (${r.digest}, not ${expected.digest})`);
    }
    return r.tar;
  };
  /** the tar to give out, and whether its bytes still need hashing (`lazy`: the reader hashes them as they stream) */
  const body = async (i: number, given: boolean, lazy: boolean): Promise<{ tar: LayerTar; check?: LayerJobResult['unverified'] }> => {
    const res = await started[i];
    const tar = held[i];
    if (given && !(tar instanceof Blob)) return { tar: await again(i, res) };
    if (tar !== undefined && !(tar instanceof Blob)) { held[i] = undefined; heldBytes -= res.size; }
    const check = unchecked[i];
    if (!check) return { tar: tar! };
    if (lazy) return { tar: tar!, check };
    if (await cachedTarMatches(tar!, res.digest, check)) {
      good(i);
      return { tar: tar! };
    }
    await check.drop();
    held[i] = undefined;
    const rebuilt = await again(i, res);
    good(i);
    return { tar: rebuilt };
  };
  const layers = jobs.map((_job, i): Layer => {
    let given = false;
    /** a stream that opens the tar on its first pull; `opened` receives what body() gave */
    const stream = (lazy: boolean, opened?: (b: Awaited<ReturnType<typeof body>>) => void): ReadableStream<Uint8Array> => {
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          if (!reader) {
            const b = await body(i, given, lazy);
            given = true;
            opened?.(b);
            reader = tarStream(b.tar).getReader();
          }
          const r = await reader.read();
          if (r.done) c.close(); else c.enqueue(r.value);
        },
        cancel(reason) { return reader?.cancel(reason); },
      }, { highWaterMark: 0 });
    };
    const uncompressedThenChecked = () => {
      let ok!: (v: ReadableStream<Uint8Array> | undefined) => void;
      let fail!: (e: unknown) => void;
      const settled = new Promise<ReadableStream<Uint8Array> | undefined>((a, b) => { ok = a; fail = b; });
      settled.catch(() => {});
      let check: LayerJobResult['unverified'];
      // only bytes a cache gave are checked (a built layer's were hashed as it was made): piece by piece where
      // the cache recorded the pieces' digests, else hashed whole on a hashing thread where one is free
      // (useSha256Offload); either way the check overlaps the writes
      let checker: CachedTarCheck | undefined;
      const checkerFor = async (c: NonNullable<typeof check>): Promise<CachedTarCheck> => {
        if (!checker) { checker = cachedTarCheck(c, (await started[i]).digest); await checker.ready(); }
        return checker;
      };
      // `cancel` (called when either side is cancelled) is in the Streams spec but not yet in TS's lib
      const checking: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
        async transform(chunk, c) {
          const k = check && await checkerFor(check);
          c.enqueue(chunk);
          if (k) await k.update(chunk);
        },
        async flush() {
          try {
            const res = await started[i];
            if (!check || await (await checkerFor(check)).matches()) { good(i); ok(undefined); return; }
            // the cached bytes were wrong: forget them, build the layer again, and give its bytes to write over
            await check.drop();
            held[i] = undefined;
            const tar = await again(i, res);
            good(i);
            ok(tarStream(tar));
          } catch (e) {
            fail(e);
            throw e;
          }
        },
        cancel() { checker?.cancel(); },
      };
      const hashed = new TransformStream<Uint8Array, Uint8Array>(checking);
      const out = stream(true, (b) => { check = b.check; }).pipeThrough(hashed);
      return { stream: out, settled };
    };
    const digest = async () => (await started[i]).digest;
    const size = async () => (await started[i]).size;
    const layer: CheckedAfterReadLayer = {
      mediaType: MediaTypes.ociLayer, compression: 'none', selfHashed: true,
      digest, diffId: digest, size, uncompressedSize: size,
      compressed: () => stream(false), uncompressed: () => stream(false), uncompressedThenChecked,
    };
    return layer;
  });
  return { layers, results: Promise.all(started) };
}

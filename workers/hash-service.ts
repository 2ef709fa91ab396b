/**
 * What a hashing worker (workers/hash.worker.ts) serves over comlink, for the build worker's pool
 * (workers/hash-pool.ts): the sha256 of one stream at a time, its bytes handed over in pieces. Calls are
 * handled in the order they arrive, so a job's pieces, its end and the next job never overlap. A piece that
 * fails to hash is remembered and reported by the job's digest (a piece's own call always succeeds: the
 * sender does not wait on each one).
 */
import { createSha256, type Digest, type Sha256 } from '../src/core/digest';

/** The calls a hashing worker answers. */
export interface HashService {
  /** hashes a piece of the current job (transferred to the worker); settles once it is hashed */
  update(bytes: Uint8Array): Promise<void>;
  /** the current job's digest (rejects with why a piece failed); the worker is then free for the next job */
  digest(): Promise<Digest>;
  /** drops the current job */
  cancel(): Promise<void>;
}

/** A hashing service; `create` makes each job's hasher (the core's sha256 unless a test gives another). */
export function hashService(create: () => Promise<Sha256> = createSha256): HashService {
  let job: Promise<Sha256> | undefined;
  /** why a piece of the current job failed */
  let failed: { error: unknown } | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(f: () => Promise<T>): Promise<T> => {
    const r = queue.then(f);
    queue = r.catch(() => undefined);
    return r;
  };
  /** ends the current job: its hasher (a hasher dropped before digest() is not reused) and why it failed */
  const end = async (): Promise<{ hasher?: Sha256; failed?: { error: unknown } }> => {
    const current = job;
    const why = failed;
    job = undefined;
    failed = undefined;
    if (why) return { failed: why };
    try {
      return { hasher: await current };
    } catch (error) {
      return { failed: { error } };
    }
  };
  return {
    update: (bytes) => inOrder(async () => {
      if (failed) return;
      try {
        (await (job ??= create())).update(bytes);
      } catch (error) {
        failed = { error };
      }
    }),
    digest: () => inOrder(async () => {
      const { hasher, failed: why } = await end();
      if (why) throw why.error;
      return (hasher ?? await create()).digest();
    }),
    cancel: () => inOrder(async () => {
      (await end()).hasher?.digest();
    }),
  };
}

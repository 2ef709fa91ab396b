/**
 * A hashing worker for the build worker's pool (workers/hash-pool.ts): it takes the sha256 of one stream at a
 * time, the bytes handed over in pieces (each acknowledged once hashed), and answers each job's digest when its
 * end is sent. Jobs come one
 * after another, in order; a cancelled job is dropped.
 */
import { createSha256, type Sha256 } from '../src/core/digest';

/** What the pool sends: a piece of the current job's bytes (transferred), its end, or a cancel. */
export type HashRequest = { kind: 'piece'; bytes: Uint8Array } | { kind: 'end' } | { kind: 'cancel' };

/** What the worker answers: each piece hashed (so the sender keeps a bounded number in flight), and each job's end. */
export type HashReply = { kind: 'hashed' } | { kind: 'digest'; digest: string } | { kind: 'error'; message: string };

let job: Promise<Sha256> | undefined;
/** why the current job failed: its end is answered with it */
let failed: string | undefined;
let queue: Promise<void> = Promise.resolve();

async function handle(m: HashRequest): Promise<void> {
  if (m.kind === 'piece') {
    try {
      if (failed === undefined) (await (job ??= createSha256())).update(m.bytes);
    } finally {
      self.postMessage({ kind: 'hashed' } satisfies HashReply);
    }
    return;
  }
  const h = job && await job;
  job = undefined;
  const why = failed;
  failed = undefined;
  // a hasher dropped before digest() is not reused: a cancelled job's digest is taken and thrown away
  if (m.kind === 'cancel') { h?.digest(); return; }
  const digest = (h || await createSha256()).digest();
  self.postMessage((why === undefined ? { kind: 'digest', digest } : { kind: 'error', message: why }) satisfies HashReply);
}

self.onmessage = (e: MessageEvent<HashRequest>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => {
    job = undefined;
    failed = err instanceof Error ? err.message : String(err);
    if (e.data.kind === 'end') {
      failed = undefined;
      self.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) } satisfies HashReply);
    }
  });
};

/**
 * The hashing pool over comlink, its workers stood in by hash services over real MessageChannels: digests
 * equal the core's sha256 of the same bytes, jobs that follow a cancelled one are not mixed with it, what is in
 * flight stays bounded, a failing hasher's error arrives in the core's wire format with its code, and a worker
 * that fails settles its job with a CoreError (comlink alone would leave the call pending for good); a worker
 * left idle is stopped and the next job gets a fresh one.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { createSha256, sha256, type Sha256 } from '../src/core/digest';
import { CoreError } from '../src/core/errors';
import { hashWorkerPool, type HashWorker } from './hash-pool';
import { hashService, type HashService } from './hash-service';

const channels: MessageChannel[] = [];
afterEach(() => { for (const c of channels.splice(0)) { c.port1.close(); c.port2.close(); } });

interface Stand { worker: HashWorker; fail(message: string): void; terminated: boolean; service: HashService }

/** Hashing "workers" over MessageChannels; `made` lists them. */
function stands(service: () => HashService = () => hashService()) {
  const made: Stand[] = [];
  const create = (): HashWorker => {
    const ch = new MessageChannel();
    channels.push(ch);
    const svc = service();
    expose(svc, ch.port1);
    let failed: ((m: string) => void) | undefined;
    const stand: Stand = {
      service: svc,
      terminated: false,
      fail: (m) => failed?.(m),
      worker: { endpoint: ch.port2, terminate: () => { stand.terminated = true; ch.port1.close(); }, onFailure: (f) => { failed = f; } },
    };
    made.push(stand);
    return stand.worker;
  };
  return { create, made };
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('hashWorkerPool', () => {
  it('gives the sha256 of the pieces handed over, with at most `size` workers, then hashes nowhere when all are busy', async () => {
    const { create, made } = stands();
    const pool = hashWorkerPool(2, create);
    const a = pool()!;
    const b = pool()!;
    expect(pool()).toBeUndefined();
    expect(made).toHaveLength(2);
    const pa = [bytes(1000, 1), bytes(3000, 2), bytes(1, 3)];
    const pb = [bytes(5000, 4)];
    const all = (ps: Uint8Array[]) => { const out = new Uint8Array(ps.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of ps) { out.set(p, o); o += p.length; } return out; };
    const wantA = await sha256(all(pa));
    const wantB = await sha256(all(pb));
    for (const p of pa) await a.update(p.slice());
    for (const p of pb) await b.update(p.slice());
    expect(await a.digest()).toBe(wantA);
    expect(await b.digest()).toBe(wantB);
    // both free again: a third job reuses a worker
    const c = pool()!;
    await c.update(bytes(10, 9));
    expect(await c.digest()).toBe(await sha256(bytes(10, 9)));
    expect(made).toHaveLength(2);
  });

  it('transfers each piece (the sender keeps nothing) and bounds the pieces in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((ok) => { release = ok; });
    // a hasher that waits on the gate before its first piece: pieces pile up in flight
    const slowHasher = async (): Promise<Sha256> => { await gate; return createSha256(); };
    const { create } = stands(() => hashService(slowHasher));
    const job = hashWorkerPool(1, create)()!;
    const piece = bytes(64, 5);
    const waits: Array<void | Promise<void>> = [];
    for (let i = 0; i < 8; i++) {
      const p = piece.slice();
      waits.push(job.update(p));
      expect(p.byteLength).toBe(0);
    }
    expect(waits.slice(0, 7).every((w) => w === undefined)).toBe(true);
    const eighth = waits[7];
    expect(eighth).toBeInstanceOf(Promise);
    let through = false;
    void (eighth as Promise<void>).then(() => { through = true; });
    await new Promise((r) => setTimeout(r, 30));
    expect(through).toBe(false);
    release();
    await eighth;
    const whole = new Uint8Array(64 * 8);
    for (let i = 0; i < 8; i++) whole.set(piece, i * 64);
    expect(await job.digest()).toBe(await sha256(whole));
  });

  it('a cancelled job does not leak into the next job on the same worker', async () => {
    const { create, made } = stands();
    const pool = hashWorkerPool(1, create);
    const dropped = pool()!;
    void dropped.update(bytes(4096, 7));
    dropped.cancel();
    const next = pool()!;
    void next.update(bytes(100, 8));
    expect(await next.digest()).toBe(await sha256(bytes(100, 8)));
    expect(made).toHaveLength(1);
  });

  it("a hasher's failure arrives at digest() as the CoreError it was, code and all", async () => {
    const broken = (): Promise<Sha256> => Promise.reject(new CoreError('storage-full', 'no room for the hasher'));
    const { create } = stands(() => hashService(broken));
    const job = hashWorkerPool(1, create)()!;
    void job.update(bytes(10, 1));
    const e = await job.digest().then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe('storage-full');
    expect((e as CoreError).message).toMatch(/no room for the hasher/);
  });

  it('a worker that fails settles its pending digest with a CoreError, is terminated, and the next job gets a new one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((ok) => { release = ok; });
    const stuck = async (): Promise<Sha256> => { await gate; return createSha256(); };
    const { create, made } = stands(() => hashService(stuck));
    const pool = hashWorkerPool(1, create);
    const job = pool()!;
    void job.update(bytes(10, 1));
    const answer = job.digest().then(() => undefined, (x: unknown) => x);
    made[0].fail('out of memory');
    const e = await answer;
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe('worker-failed');
    expect((e as CoreError).message).toMatch(/a hashing worker failed: out of memory/);
    expect(made[0].terminated).toBe(true);
    release();
    const next = pool()!;
    expect(made).toHaveLength(2);
    void next.update(bytes(3, 3));
    expect(await next.digest()).toBe(await sha256(bytes(3, 3)));
  });

  it('stops a worker left idle, not one whose job is still open, and starts a fresh one for the next job', async () => {
    const { create, made } = stands();
    const pool = hashWorkerPool(1, create, 20);
    const job = pool()!;
    await job.update(bytes(100, 1));
    // the job stays open past the idle time: its worker stays
    await new Promise((r) => setTimeout(r, 60));
    expect(made[0].terminated).toBe(false);
    expect(await job.digest()).toBe(await sha256(bytes(100, 1)));
    // reused within the idle time: still the same worker
    const again = pool()!;
    expect(made).toHaveLength(1);
    again.cancel();
    await new Promise((r) => setTimeout(r, 60));
    expect(made[0].terminated).toBe(true);
    const next = pool()!;
    expect(made).toHaveLength(2);
    await next.update(bytes(7, 2));
    expect(await next.digest()).toBe(await sha256(bytes(7, 2)));
  });
});

/**
 * WorkerBridge against a stand-in Worker (src/test-support/channel-worker.ts): real comlink over a real
 * MessageChannel, whose terminate() leaves every call on it unanswered as a terminated Worker does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../core/errors';
import { channelBridge, type ChannelWorker, type TestWorkerApi } from '../test-support/channel-worker';
import { isCancelled, WorkerBridge, type WorkerBridgeOptions } from './worker-bridge';

let workers: ChannelWorker[] = [];
let bridges: WorkerBridge<TestWorkerApi>[] = [];
function bridge(options?: WorkerBridgeOptions) {
  const made = channelBridge(options);
  workers = made.workers;
  bridges.push(made.bridge);
  return made.bridge;
}
afterEach(() => {
  for (const b of bridges) b.terminate();
  bridges = [];
});

/** Settles `p` as a value or the error it rejects with (never hangs the test: the caller awaits with a deadline). */
const outcome = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('WorkerBridge', () => {
  it('starts the worker on the first call, answers calls and carries a worker error\'s code', async () => {
    const b = bridge();
    expect(workers).toHaveLength(0);
    expect(await b.run((api) => api.wait(1))).toBe(1);
    expect(await b.run((api) => api.id())).toBe(1);
    const failed = await outcome(b.run((api) => api.fail()));
    expect((failed as { error: { code: string } }).error.code).toBe('invalid-argument');
    expect(workers).toHaveLength(1);
  });

  it('terminate() rejects every pending call as cancelled, and a later call starts a fresh worker', async () => {
    const b = bridge();
    const calls = [b.run((api) => api.never()), b.run((api) => api.never()), b.run((api) => api.wait(10_000))].map(outcome);
    await tick();
    expect(b.active).toBe(3);
    b.terminate();
    const settled = await Promise.all(calls);
    for (const s of settled) {
      const e = (s as { error: unknown }).error;
      expect(e).toBeInstanceOf(CoreError);
      expect((e as CoreError).code).toBe('cancelled');
      expect(isCancelled(e)).toBe(true);
    }
    expect(workers[0].terminated).toBe(true);
    expect(b.active).toBe(0);
    expect(await b.run((api) => api.id())).toBe(2);
    expect(workers).toHaveLength(2);
  });

  it('an aborted call terminates the worker: it and every other pending call reject as cancelled', async () => {
    const b = bridge();
    const ac = new AbortController();
    const aborted = outcome(b.run((api) => api.never(), ac.signal));
    const other = outcome(b.run((api) => api.never()));
    const otherWithSignal = outcome(b.run((api) => api.wait(10_000), new AbortController().signal));
    await tick();
    ac.abort(new Error('user left'));
    const [a, o, s] = await Promise.all([aborted, other, otherWithSignal]);
    expect(isCancelled((a as { error: unknown }).error)).toBe(true);
    expect(((a as { error: Error }).error.cause as Error).message).toBe('user left');
    expect(isCancelled((o as { error: unknown }).error)).toBe(true);
    expect(isCancelled((s as { error: unknown }).error)).toBe(true);
    expect(workers[0].terminated).toBe(true);
    expect(await b.run((api) => api.id())).toBe(2);
  });

  it('a call whose signal is already aborted rejects without starting a worker', async () => {
    const b = bridge();
    const r = await outcome(b.run((api) => api.id(), AbortSignal.abort()));
    expect(isCancelled((r as { error: unknown }).error)).toBe(true);
    expect(workers).toHaveLength(0);
  });

  it('with concurrency 1, calls wait their turn; aborting a waiting call leaves the running one be', async () => {
    const b = bridge({ concurrency: 1 });
    const first = b.run((api) => api.wait(50));
    const ac = new AbortController();
    const second = outcome(b.run((api) => api.id(), ac.signal));
    const third = b.run((api) => api.id());
    await tick();
    expect(b.active).toBe(1);
    ac.abort();
    expect(isCancelled((await second as { error: unknown }).error)).toBe(true);
    expect(await first).toBe(50);
    expect(await third).toBe(1);
    expect(workers).toHaveLength(1);
    expect(workers[0].terminated).toBe(false);
  });

  it('with concurrency 1, aborting the running job rejects it and the next job runs in a fresh worker', async () => {
    const b = bridge({ concurrency: 1 });
    const ac = new AbortController();
    const running = outcome(b.run((api) => api.never(), ac.signal));
    const next = b.run((api) => api.id());
    await tick();
    ac.abort();
    expect(isCancelled((await running as { error: unknown }).error)).toBe(true);
    expect(await next).toBe(2);
  });

  it('stops an idle worker without rejecting anything, and starts a fresh one for the next call', async () => {
    const b = bridge({ idleStopMs: 20 });
    expect(await b.run((api) => api.wait(30))).toBe(30); // a call longer than the idle time is not stopped
    expect(workers[0].terminated).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(workers[0].terminated).toBe(true);
    expect(b.started).toBe(false);
    expect(await b.run((api) => api.id())).toBe(2);
  });
});

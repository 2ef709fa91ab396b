/**
 * The Build view's queries on a shared worker (a stand-in over a MessageChannel, see
 * src/test-support/channel-worker.ts): when one lookup is cancelled, which terminates the worker, the
 * other lookups pending on it are retried on a fresh worker instead of failing as cancelled.
 */
import { CancelledError, QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it } from 'vitest';
import { channelBridge } from '../test-support/channel-worker';
import { retryWhenCancelled } from './registry-queries';

const { bridge, workers } = channelBridge();
const client = new QueryClient();
afterEach(() => { bridge.terminate(); client.clear(); });

describe('retryWhenCancelled', () => {
  it('retries a lookup whose worker another lookup\'s cancel stopped, never the cancelled one', async () => {
    const opts = { retry: retryWhenCancelled, retryDelay: 0 } as const;
    let calls = 0;
    const other = client.fetchQuery({ ...opts, queryKey: ['other'], queryFn: ({ signal }) => { calls++; return bridge.run((api) => api.wait(30), signal); } });
    const replaced = client.fetchQuery({ ...opts, queryKey: ['replaced'], queryFn: ({ signal }) => bridge.run((api) => api.never(), signal) });
    await new Promise((r) => setTimeout(r, 5));
    expect(bridge.active).toBe(2);
    await client.cancelQueries({ queryKey: ['replaced'] });
    await expect(replaced).rejects.toBeInstanceOf(CancelledError);
    expect(await other).toBe(30);
    expect(calls).toBe(2);
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(2);
  });

  it('does not retry other failures', async () => {
    let calls = 0;
    const failing = client.fetchQuery({ retry: retryWhenCancelled, retryDelay: 0, queryKey: ['failing'], queryFn: () => { calls++; return bridge.run((api) => api.fail()); } });
    await expect(failing).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(calls).toBe(1);
  });
});

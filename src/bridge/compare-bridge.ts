/**
 * The bridge to the compare worker (workers/compare.worker.ts): a worker of its own, since replacing or
 * cancelling a comparison terminates it.
 */
import type { CompareApi, CompareSide, ImageComparison } from '../../workers/compare.worker';
import { WorkerBridge } from './worker-bridge';

export type { CompareApi, CompareSide, ImageComparison };

/** The page's compare worker, started on first use and stopped when idle (pulled blobs stay in OPFS). */
export const compareBridge = new WorkerBridge<CompareApi>(
  () => new Worker(new URL('../../workers/compare.worker.ts', import.meta.url), { type: 'module', name: 'compare' }),
  { name: 'compare worker', idleStopMs: 60_000 },
);

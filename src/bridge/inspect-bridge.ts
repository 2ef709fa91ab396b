/** The bridge to the inspect worker (workers/inspect.worker.ts). */
import type { InspectApi } from '../../workers/inspect.worker';
import { WorkerBridge } from './worker-bridge';

export type { InspectApi };
export type { WorkerError } from '../../workers/error-transfer';

/** The page's one inspect worker, started on first use. */
export const inspectBridge = new WorkerBridge<InspectApi>(
  () => new Worker(new URL('../../workers/inspect.worker.ts', import.meta.url), { type: 'module', name: 'inspect' }),
);

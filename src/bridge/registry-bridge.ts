/** The bridge to the registry worker (workers/registry.worker.ts). */
import type { RegistryApi } from '../../workers/registry.worker';
import { WorkerBridge } from './worker-bridge';

export type { RegistryApi };

/** The page's registry worker, started on first use. */
export const registryBridge = new WorkerBridge<RegistryApi>(
  () => new Worker(new URL('../../workers/registry.worker.ts', import.meta.url), { type: 'module', name: 'registry' }),
);

/** Where the proxy is mounted on this page's origin. */
export const proxyBase = (): string => `${location.origin}/proxy`;

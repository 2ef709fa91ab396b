/**
 * The bridges of the Build view: the registry worker for lookups and the solve worker for previews, both
 * cancelled freely, and the build worker for long jobs, one at a time. Separate workers, so that
 * cancelling a lookup or a preview (which terminates its worker) never takes a running save or build down.
 */
import type { BuildApi, BuildOutput, BuildProgress, BuiltImage, EnvironmentInput, PullProgress, PushedImage, PushProgress, SavedImage } from '../../workers/build.worker';
import type { RegistryApi } from '../../workers/registry.worker';
import type { SolveApi, SolvePreview } from '../../workers/solve.worker';
import { WorkerBridge } from './worker-bridge';

export type { BuildApi, BuildOutput, BuildProgress, BuiltImage, EnvironmentInput, PullProgress, PushedImage, PushProgress, RegistryApi, SavedImage, SolveApi, SolvePreview };

/** Idle workers are stopped after this long; what they fetched stays in OPFS. */
const IDLE_STOP_MS = 60_000;

/** The page's registry worker (tag lookups), started on first use. */
export const registryBridge = new WorkerBridge<RegistryApi>(
  () => new Worker(new URL('../../workers/registry.worker.ts', import.meta.url), { type: 'module', name: 'registry' }),
  { name: 'registry worker', idleStopMs: IDLE_STOP_MS },
);

/** The page's solve worker (previews), started on first use; a preview replaced in flight terminates it. */
export const solveBridge = new WorkerBridge<SolveApi>(
  () => new Worker(new URL('../../workers/solve.worker.ts', import.meta.url), { type: 'module', name: 'solve' }),
  { name: 'solve worker', idleStopMs: IDLE_STOP_MS },
);

/** The page's build worker (saves, builds, pushes), started on first use; jobs queue, one runs at a time. */
export const buildBridge = new WorkerBridge<BuildApi>(
  () => new Worker(new URL('../../workers/build.worker.ts', import.meta.url), { type: 'module', name: 'build' }),
  { name: 'build worker', concurrency: 1, idleStopMs: IDLE_STOP_MS },
);

/** Where the proxy is mounted on this page's origin. */
export const proxyBase = (): string => `${location.origin}/proxy`;

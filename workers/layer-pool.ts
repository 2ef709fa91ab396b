/**
 * The browser's layer runner: a pool of layer workers (one per core, at most 4) for buildEnvironment's
 * `layerRunner`, started from the build worker (workers may start workers) on first use and kept for
 * the builds that follow.
 */
import { workerLayerRunner } from '../src/core/pipeline/layer-pool';
import type { LayerRunner } from '../src/core/pipeline/layer-job';

let shared: LayerRunner | undefined;

export function browserLayerRunner(): LayerRunner {
  const size = Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2));
  return (shared ??= workerLayerRunner({ create: () => new Worker(new URL('./layer.worker.ts', import.meta.url), { type: 'module', name: 'layer' }), size }));
}

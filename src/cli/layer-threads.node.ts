/**
 * How the CLI starts its layer worker threads. By default the pool's own way (the bundled script next to the
 * bundle, else the TypeScript source through tsx); the one-file program (one-file.node.ts) sets a starter
 * that runs its own file again, flagged as a layer thread, since nothing else ships beside it.
 */
import type { Worker } from 'node:worker_threads';
import type { LayerThreadData } from '../core/pipeline/layer-thread-pool.node.js';

let starter: ((data: LayerThreadData) => Worker) | undefined;

/** Sets how layer threads start for the rest of this process (called once, by the program's entry). */
export function useLayerThreadStarter(start: (data: LayerThreadData) => Worker): void {
  starter = start;
}

/** The `startThread` option for nodeLayerRunner: the starter set by the entry, if any. */
export function layerThreadOptions(): { startThread?: (data: LayerThreadData) => Worker } {
  return starter ? { startThread: starter } : {};
}

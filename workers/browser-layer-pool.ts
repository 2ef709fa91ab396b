/**
 * The browser's layer runner: a pool of layer workers (one per core, at most 4) for buildEnvironment's
 * `layerRunner`, started from the build worker (workers may start workers) on first use and kept for
 * the builds that follow. The jobs running at once hold at most MAX_PACKAGE_BYTES of packages between them
 * (a bigger one runs alone): each decodes its payloads into memory, and all of them live in the page's
 * renderer process, so memory follows the bytes in flight, not the number of cores or the image's size;
 * a worker is replaced by a fresh one once its jobs have read RECYCLE_BYTES of packages.
 */
import { workerLayerRunner } from '../src/core/pipeline/layer-pool-protocol';
import type { LayerRunner } from '../src/core/pipeline/layer-job';

const MAX_PACKAGE_BYTES = 24 * 1024 * 1024;
/**
 * A worker is replaced after its jobs have read this many package bytes: what a job leaves behind (buffers and
 * garbage a collection would give back, memory the allocator keeps) goes with the worker, so the renderer's
 * memory follows the jobs in flight and not how many have run.
 */
const RECYCLE_BYTES = 16 * 1024 * 1024;

let shared: LayerRunner | undefined;

export function browserLayerRunner(): LayerRunner {
  const size = Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2));
  return (shared ??= workerLayerRunner({ create: () => new Worker(new URL('./layer.worker.ts', import.meta.url), { type: 'module', name: 'layer' }), size, maxBytes: MAX_PACKAGE_BYTES, recycleAfterBytes: RECYCLE_BYTES }));
}

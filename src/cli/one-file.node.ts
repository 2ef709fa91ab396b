/**
 * Entry of the one-file CLI (dist/docker-envs.mjs, built by one-file-build.node.ts): the same file is the
 * command and its layer worker threads. Started as a thread flagged in its workerData, it serves layer jobs
 * (core/pipeline/layer-thread-entry.node.ts); otherwise it runs the command (run.node.ts), starting its
 * layer threads from this file.
 */
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { useLayerThreadStarter } from './layer-threads.node.js';

/** the workerData key that marks a layer thread */
const LAYER_THREAD = 'dockerEnvsLayerThread';

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[LAYER_THREAD] === true) {
  await import('../core/pipeline/layer-thread-entry.node.js');
} else {
  const self = new URL(import.meta.url);
  useLayerThreadStarter((data) => new Worker(self, { workerData: { ...data, [LAYER_THREAD]: true } }));
  await import('./run.node.js');
}

/** A layer worker: builds environment layers for the build worker's pool (src/core/build/layer-pool.ts). */
import { serveLayerJobs } from '../src/core/build/layer-pool';

serveLayerJobs(self as unknown as Parameters<typeof serveLayerJobs>[0]);

/** A layer worker: builds environment layers for the build worker's pool (src/core/pipeline/layer-pool.ts). */
import { serveLayerJobs } from '../src/core/pipeline/layer-pool';

serveLayerJobs(self as unknown as Parameters<typeof serveLayerJobs>[0]);

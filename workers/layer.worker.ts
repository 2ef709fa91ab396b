/** A layer worker: builds environment layers for the build worker's pool (src/core/pipeline/layer-pool-protocol.ts). */
import { serveLayerJobs } from '../src/core/pipeline/layer-pool-protocol';

serveLayerJobs(self as unknown as Parameters<typeof serveLayerJobs>[0]);

/**
 * A layer worker: builds environment layers for the build worker's pool (src/core/pipeline/layer-pool-protocol.ts).
 * Where OPFS is there, each layer's tar is written into the OPFS blob store as it is made (at its digest, where
 * the layer cache keeps tars; with the digests of its pieces when the job asks for them), so neither this worker
 * nor the build worker holds a whole layer; elsewhere the tar is made in memory and handed over.
 */
import { opfsPutHashed } from '../src/core/cache/opfs-store';
import { serveLayerJobs } from '../src/core/pipeline/layer-pool-protocol';
import type { LayerJobOptions } from '../src/core/pipeline/layer-job';

const options: Promise<LayerJobOptions> = navigator.storage.getDirectory().then(
  (root) => ({ tarSink: (tar, hashed) => opfsPutHashed(tar, hashed, root) }),
  () => ({}),
);
serveLayerJobs(self as unknown as Parameters<typeof serveLayerJobs>[0], options);

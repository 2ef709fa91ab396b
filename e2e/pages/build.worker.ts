/** Worker of the build page: the same pipeline and writer as the CLI, with the network through the proxy. */
import { expose } from 'comlink';
import { readImageArchive, writeDockerArchive } from '../../src/core/archive';
import { buildEnvironment } from '../../src/core/build';
import { browserLayerRunner } from '../../workers/layer-pool';
import { memoryBlobStore } from '../../src/core/cache';
import { digestStream } from '../../src/core/digest';
import { proxiedFetch } from '../../src/core/net/proxied-fetch';
import { timedSolves } from './timed-solve';

const api = {
  async build(base: File, specs: string[], channel: string, proxyBase: string, epoch: number, tag: string) {
    const net = proxiedFetch(proxyBase);
    // the solver fetches repodata with the global fetch: route it through the proxy too
    globalThis.fetch = net;
    const archive = await readImageArchive(base);
    const result = await buildEnvironment({ base: archive.images[0].image, specs, channels: [channel], store: memoryBlobStore(), fetch: net, epoch, layerRunner: browserLayerRunner() });
    const { digest, size } = await digestStream(writeDockerArchive([{ image: result.image, tags: [tag] }], { mtime: epoch }));
    return { archiveSha256: digest, size, manifestDigest: await result.image.digest(), packages: result.solved.map((r) => r.fn) };
  },
  /** for the bench: the solver in this worker (rattler's wasm), repodata from the page's origin */
  timedSolves,
};
expose(api);
export type BuildPageApi = typeof api;

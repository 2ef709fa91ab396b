/** Worker of the build page: the same pipeline and writer as the CLI, with the network through the proxy. */
import { expose } from 'comlink';
import { writeDockerArchive } from '../../src/core/archive';
import { buildEnvironment } from '../../src/core/pipeline';
import { openImage } from '../../src/core/image/open';
import { browserLayerRunner } from '../../workers/layer-pool';
import { memoryBlobStore } from '../../src/core/cache';
import { digestStream } from '../../src/core/digest';
import { proxiedFetch } from '../../src/core/net/proxied-fetch';
import { cachingFetch, type CacheStats } from '../../src/core/conda/repodata-cache';
import { opfsRepodataStore } from '../../src/core/conda/repodata-store.opfs';
import { directoryHandleReader, localChannelFetch } from '../../src/core/conda/local-channel';
import { timedSolves } from './timed-solve';

// repodata cached between builds as the CLI does (in memory while this worker lives, in OPFS across sessions),
// so a solve after the first reads no repodata over the network; one cache per proxy
const repodataFetches = new Map<string, typeof fetch & { stats: CacheStats }>();
const repodataFetchFor = (proxyBase: string, net: typeof fetch) => {
  let f = repodataFetches.get(proxyBase);
  if (!f) repodataFetches.set(proxyBase, f = cachingFetch(net, { store: opfsRepodataStore() }));
  return f;
};

const api = {
  async build(base: File, specs: string[], channel: string, proxyBase: string, epoch: number, tag: string) {
    const net = proxiedFetch(proxyBase);
    // the solver fetches repodata with the global fetch: route it through the proxy too
    globalThis.fetch = net;
    const repodataFetch = repodataFetchFor(proxyBase, net);
    const before = { ...repodataFetch.stats };
    const result = await buildEnvironment({ base: (await openImage(base)).image, specs, channels: [channel], store: memoryBlobStore(), fetch: net, repodataFetch, epoch, layerRunner: browserLayerRunner() });
    const { digest, size } = await digestStream(writeDockerArchive([{ image: result.image, tags: [tag] }], { mtime: epoch }));
    const repodata = { hits: repodataFetch.stats.hits - before.hits, misses: repodataFetch.stats.misses - before.misses };
    return { archiveSha256: digest, size, manifestDigest: await result.image.digest(), packages: result.solved.map((r) => r.fn), repodata };
  },
  /**
   * Builds from a local channel: a directory handle (a picked folder; OPFS in tests) known by `channelUrl`
   * (file:///…), as the CLI knows a folder by its file:/// URL; nothing else is fetched.
   */
  async buildFromFolder(base: File, specs: string[], channel: FileSystemDirectoryHandle, channelUrl: string, epoch: number, tag: string) {
    const net = localChannelFetch([{ url: channelUrl, reader: directoryHandleReader(channel, channelUrl) }], () => Promise.reject(new Error('a folder build fetches nothing from the network')));
    const result = await buildEnvironment({ base: (await openImage(base)).image, specs, channels: [channelUrl], store: memoryBlobStore(), fetch: net, repodataFetch: cachingFetch(net), epoch, layerRunner: browserLayerRunner() });
    const { digest, size } = await digestStream(writeDockerArchive([{ image: result.image, tags: [tag] }], { mtime: epoch }));
    return { archiveSha256: digest, size, packages: result.solved.map((r) => r.url), warnings: await result.warnings };
  },
  /** for the bench: the solver in this worker (rattler's wasm), repodata from the page's origin */
  timedSolves,
};
expose(api);
export type BuildPageApi = typeof api;

/**
 * Worker of the assembly bench page: the build pipeline as the app's build worker runs it, from packages
 * already in the OPFS blob store (`cache` puts them there, untimed), into a docker-archive written to an
 * OPFS file through the same seekable sink as a picked file. `assemble` is timed here, in the worker.
 */
import { expose } from 'comlink';
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../../src/core/archive';
import { buildEnvironment } from '../../src/core/pipeline';
import { browserLayerRunner } from '../../workers/browser-layer-pool';
import { opfsBlobStore } from '../../src/core/cache/opfs-store';
import { fetchPackages } from '../../src/core/conda';
import { emptyImage } from '../../src/core/image';
import type { SolvedRecord } from '../../src/core/solver';
import { workerLayerCache, workerPackageMd5s } from '../../workers/environment-input';
import { useSha256Offload } from '../../src/core/digest';
import { hashWorkerPool } from '../../workers/hash-pool';

// long streams hashed on hashing workers, as the app's build worker does
useSha256Offload(hashWorkerPool(2));

const OUT = 'assembly-out.tar';
const COPY = 'assembly-copy.tar';

const api = {
  /** Fetches every package into the OPFS blob store (verified); resolves with their count. */
  async cache(records: SolvedRecord[]): Promise<number> {
    const store = await opfsBlobStore();
    const got = await fetchPackages(records.map((r) => ({ fn: r.fn, url: r.url, sha256: r.sha256!, ...(r.size !== undefined ? { size: r.size } : {}) })), { store });
    return got.size;
  },
  /**
   * Builds the environment from the cached packages (no network, no solve) and writes the archive to OPFS.
   * With `layerCache`, the app's layer cache (OPFS bodies, IndexedDB catalog) and its packages' md5s are read
   * and filled as a build in the app does: a second build of the same records builds no layer and reads no package.
   */
  async assemble(records: SolvedRecord[], epoch: number, channels: string[] = [], opts: { layerCache?: boolean } = {}): Promise<{ seconds: number; bytes: number; layers: number; digest: string; built: number }> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(OUT).catch(() => {});
    const t0 = performance.now();
    const store = await opfsBlobStore();
    const layerCache = opts.layerCache ? await workerLayerCache() : undefined;
    if (opts.layerCache && !layerCache) throw new Error('the layer cache is not available in this browser');
    // with the app's cache on, the md5s the lock lacks are kept as the app's build worker keeps them
    const packageMd5s = opts.layerCache ? await workerPackageMd5s() : undefined;
    const result = await buildEnvironment({ base: emptyImage(), specs: [], channels, lock: records, store, epoch, layerRunner: browserLayerRunner(), ...(layerCache ? { layerCache } : {}), ...(packageMd5s ? { packageMd5s } : {}),
      fetch: () => Promise.reject(new Error('the assembly bench must not touch the network: every package is cached')) });
    const file = await root.getFileHandle(OUT, { create: true });
    const bytes = await writeDockerArchiveToSeekable([{ image: result.image, tags: ['bench/env:1'] }], fileSystemWritableSink(await file.createWritable()), { mtime: epoch });
    const seconds = (performance.now() - t0) / 1000;
    const layers = (await result.image.config()).rootfs.diff_ids.length;
    // layers built rather than taken from the layer cache (every layer, without the cache)
    const built = (await result.layerSources).filter((x) => x === 'built').length;
    return { seconds, bytes, layers, digest: await result.image.digest(), built };
  },
  /**
   * The peer of a cached rebuild: copies the built archive into another OPFS file through the same API the
   * archive was written with (a file's stream into `createWritable`), timed here; resolves with the bytes copied.
   */
  async copyArchive(): Promise<{ seconds: number; bytes: number }> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(COPY).catch(() => {});
    const t0 = performance.now();
    const source = await (await root.getFileHandle(OUT)).getFile();
    await source.stream().pipeTo(await (await root.getFileHandle(COPY, { create: true })).createWritable());
    const seconds = (performance.now() - t0) / 1000;
    const bytes = (await (await root.getFileHandle(COPY)).getFile()).size;
    await root.removeEntry(COPY);
    return { seconds, bytes };
  },
  /** Removes the archive and the blob store (the OPFS the bench used). */
  async clear(): Promise<void> {
    const root = await navigator.storage.getDirectory();
    for (const name of [OUT, 'blobs', 'package-md5']) await root.removeEntry(name, { recursive: true }).catch(() => {});
  },
};
expose(api);
export type AssemblyPageApi = typeof api;

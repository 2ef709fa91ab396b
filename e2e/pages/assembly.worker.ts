/**
 * Worker of the assembly bench page: the build pipeline as the app's build worker runs it, from packages
 * already in the OPFS blob store (`cache` puts them there, untimed), into a docker-archive written to an
 * OPFS file through the same seekable sink as a picked file. `assemble` is timed here, in the worker.
 */
import { expose } from 'comlink';
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../../src/core/archive';
import { buildEnvironment } from '../../src/core/pipeline';
import { browserLayerRunner } from '../../workers/layer-pool';
import { opfsBlobStore } from '../../src/core/cache/opfs-store';
import { fetchPackages } from '../../src/core/conda';
import { emptyImage } from '../../src/core/image';
import type { SolvedRecord } from '../../src/core/solver';

const OUT = 'assembly-out.tar';

const api = {
  /** Fetches every package into the OPFS blob store (verified); resolves with their count. */
  async cache(records: SolvedRecord[]): Promise<number> {
    const store = await opfsBlobStore();
    const got = await fetchPackages(records.map((r) => ({ fn: r.fn, url: r.url, sha256: r.sha256!, ...(r.size !== undefined ? { size: r.size } : {}) })), { store });
    return got.size;
  },
  /** Builds the environment from the cached packages (no network, no solve) and writes the archive to OPFS. */
  async assemble(records: SolvedRecord[], epoch: number, channels: string[] = []): Promise<{ seconds: number; bytes: number; layers: number; digest: string }> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(OUT).catch(() => {});
    const t0 = performance.now();
    const store = await opfsBlobStore();
    const result = await buildEnvironment({ base: emptyImage(), specs: [], channels, lock: records, store, epoch, layerRunner: browserLayerRunner(),
      fetch: () => Promise.reject(new Error('the assembly bench must not touch the network: every package is cached')) });
    const file = await root.getFileHandle(OUT, { create: true });
    const bytes = await writeDockerArchiveToSeekable([{ image: result.image, tags: ['bench/env:1'] }], fileSystemWritableSink(await file.createWritable()), { mtime: epoch });
    const seconds = (performance.now() - t0) / 1000;
    const layers = (await result.image.config()).rootfs.diff_ids.length;
    return { seconds, bytes, layers, digest: await result.image.digest() };
  },
  /** Removes the archive and the blob store (the OPFS the bench used). */
  async clear(): Promise<void> {
    const root = await navigator.storage.getDirectory();
    for (const name of [OUT, 'blobs']) await root.removeEntry(name, { recursive: true }).catch(() => {});
  },
};
expose(api);
export type AssemblyPageApi = typeof api;

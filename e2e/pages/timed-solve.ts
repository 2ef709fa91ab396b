/** The bench's solve measurement, the same code in a Chromium worker (build.worker.ts) and in Node (bench/rows/solve.ts). */
import { cachingFetch } from '../../src/core/conda/repodata-cache';
import { solve } from '../../src/core/solver';

/** How a timed solve gets its repodata. */
export type RepodataMode = 'cached' | 'network';

/**
 * Solves `specs` `runs` times against `channel`; each run's ms and the package count. `cached`: through the
 * project's repodata cache, as a build does (the CLI and the build worker hand the solver a cachingFetch): the
 * first run fetches the repodata, later runs are served it from memory and still parse it and solve.
 * `network`: the repodata is fetched from the channel on every run.
 */
export async function timedSolves(specs: string[], channel: string, subdir: string, runs: number, repodata: RepodataMode = 'cached'): Promise<{ times: number[]; packages: number }> {
  const times: number[] = [];
  let packages = 0;
  const fetch = repodata === 'cached' ? cachingFetch(globalThis.fetch.bind(globalThis)) : undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    packages = (await solve({ specs, channels: [channel], subdir, ...(fetch ? { fetch } : {}) })).length;
    times.push(performance.now() - t0);
  }
  return { times, packages };
}

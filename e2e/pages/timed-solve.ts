/** The bench's solve measurement, the same code in a Chromium worker (build.worker.ts) and in Node (bench/rows/solve.ts). */
import { cachingFetch } from '../../src/core/conda/repodata-cache';
import { solve } from '../../src/core/solver';

/** How a timed solve gets its repodata. */
export type RepodataMode = 'cached' | 'network';

// one repodata cache per channel while this engine lives, as a build worker keeps one: a later call is served
const caches = new Map<string, typeof fetch>();

/**
 * Solves `specs` `runs` times against `channel`; each run's ms and the package count. `cached`: through the
 * project's repodata cache, as a build does (the CLI and the build worker hand the solver a cachingFetch): the
 * first run of the first call fetches the repodata, later runs (of this call and later ones) are served it from
 * memory and still parse it and solve. `network`: the repodata is fetched from the channel on every run.
 */
export async function timedSolves(specs: string[], channel: string, subdir: string, runs: number, repodata: RepodataMode = 'cached'): Promise<{ times: number[]; packages: number }> {
  const times: number[] = [];
  let packages = 0;
  let fetch = repodata === 'cached' ? caches.get(channel) : undefined;
  if (repodata === 'cached' && !fetch) caches.set(channel, fetch = cachingFetch(globalThis.fetch.bind(globalThis)));
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    packages = (await solve({ specs, channels: [channel], subdir, ...(fetch ? { fetch } : {}) })).length;
    times.push(performance.now() - t0);
  }
  return { times, packages };
}

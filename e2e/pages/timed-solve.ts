/** The bench's solve measurement, the same code in a Chromium worker (build.worker.ts) and in Node (bench/rows/solve.ts). */
import { solve } from '../../src/core/solver';

/** Solves `specs` `runs` times against `channel` (repodata fetched each time); each run's ms and the package count. */
export async function timedSolves(specs: string[], channel: string, subdir: string, runs: number): Promise<{ times: number[]; packages: number }> {
  const times: number[] = [];
  let packages = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    packages = (await solve({ specs, channels: [channel], subdir })).length;
    times.push(performance.now() - t0);
  }
  return { times, packages };
}

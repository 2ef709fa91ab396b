/**
 * The fixed-seed fuzz run of `npm test` (unit stage): each reader gets 2,000 mutated inputs (seed 1,
 * bounds lowered to 8 MiB) in its own child process, so a reader that hangs is killed and RSS is the
 * reader's own. Every input must end within 2 s of CPU time, clean or with a CoreError carrying a code,
 * the process under 1 GB RSS. The three run at once: time is judged on CPU time, so sharing the cores
 * makes no input late. `npm run fuzz -- --count N` runs longer. Without the shared fixtures it skips
 * (CI=true makes that a failure).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { haveFixtures, repoRoot } from '../../src/test-support/fixtures';
import { createRandom } from '../../bench/plan';
import { mutateBytes } from './mutate';
import type { TargetCounts } from './run';

/** inputs per reader */
const COUNTS = { archive: 2000, conda: 2000, repodata: 2000 } as const;

function fuzzChild(target: keyof typeof COUNTS): Promise<TargetCounts> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'e2e/fuzz/run.ts', '--only', target, '--count', String(COUNTS[target]), '--seed', '1', '--json'],
      { cwd: repoRoot, timeout: 290_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try { resolve((JSON.parse(line) as TargetCounts[])[0]); } catch { reject(new Error(`fuzz ${target} ended without a report (${err?.message ?? ''}): ${stderr.slice(-2000)}`)); }
      });
  });
}

describe.skipIf(!haveFixtures)('fixed-seed fuzz: archive reader with listing and merge, conda package reader and install, repodata decoders', () => {
  it('every input ends in time, clean or with a typed CoreError, under 1 GB RSS', { timeout: 300_000 }, async () => {
    const runs = await Promise.all((['archive', 'conda', 'repodata'] as const).map(fuzzChild));
    for (const c of runs) {
      const report = `${c.target}: ${JSON.stringify({ ...c, failures: c.failures.slice(0, 5) })}`;
      expect(c.inputs, report).toBe(COUNTS[c.target]);
      expect(c.untyped, report).toBe(0);
      expect(c.timeouts, report).toBe(0);
      expect(c.overMemory, report).toBe(0);
      expect(c.maxRss, report).toBeLessThan(1 << 30);
      // the mutator reaches past the first check: some inputs read cleanly, several kinds of error occur
      expect(c.clean, report).toBeGreaterThan(0);
      expect(Object.keys(c.codes).length, report).toBeGreaterThan(1);
    }
  });
});

describe('the mutator', () => {
  it('mutates inputs of 0 to 8 bytes without throwing (a 32-bit field overwrite needs 4 bytes)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = createRandom(seed);
      for (let n = 0; n <= 8; n++) expect(mutateBytes(new Uint8Array(n).fill(7), r).length).toBeLessThanOrEqual(n);
    }
  });
});

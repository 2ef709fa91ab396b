/**
 * `npm run bench [-- --quick] [-- --no-profile | --profile] [-- --only WORD]`: runs every row against its real peer and prints the table
 * (a row that misses is profiled; `--profile` profiles every row that can be, `--no-profile` none).
 * Exit 0 when every row ran (a MISS is reported, not a failure); 1 when a row or its peer did not run.
 * `--quick` uses the CI-sized archive (~50 MB) instead of the full one (~1 GB).
 */
import { FULL_SPEC, QUICK_SPEC } from './plan.js';
import { inspectorRows } from './rows/inspector.js';
import { proxyRows } from './rows/proxy.js';
import { pullRows } from './rows/pull.js';
import { sharingRows } from './rows/sharing.js';
import { solveRows } from './rows/solve.js';
import { assemblyRows } from './rows/assembly.js';
import { exitCodeOf, formatTable, runRows, type BenchRow } from './table.js';

/** Every row of the bench, in print order. Later issues append theirs here. */
export function allRows(quick: boolean, profile: boolean | 'always'): BenchRow[] {
  const log = (s: string) => console.error(s);
  return [...inspectorRows({ spec: quick ? QUICK_SPEC : FULL_SPEC, profile, log }), ...proxyRows({ quick, log }), ...pullRows({ log, profile }), ...solveRows({ log }), ...sharingRows({ quick, log }), ...assemblyRows({ quick, profile, log })];
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// `--only WORD`: just the rows whose name contains WORD (case-insensitive)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.toLowerCase() : undefined;
const outcomes = await runRows(allRows(quick, args.includes('--no-profile') ? false : args.includes('--profile') ? 'always' : true).filter((r) => !only || r.name.toLowerCase().includes(only)));
console.log(`\ndocker-envs bench (${quick ? 'quick, ~50 MB' : 'full, ~1 GB'})\n`);
console.log(formatTable(outcomes));
process.exitCode = exitCodeOf(outcomes);

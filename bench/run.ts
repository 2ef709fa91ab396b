/**
 * `npm run bench [-- --quick] [-- --no-profile | --profile] [-- --only WORD] [-- --runs N] [-- --max-wait S]`:
 * runs every row against its real peer and prints the table (a row that misses is profiled; `--profile`
 * profiles every row that can be, `--no-profile` none). Each row runs N times (default 3, at least 3 unless
 * fewer are asked for a smoke check), after waiting up to S seconds (default 90) for the 1-minute load
 * average to fall under 1.0. Exit 0 when every row ran (a MISS is reported, not a failure); 1 when a row
 * or its peer did not run. `--quick` uses the CI-sized archive (~50 MB) instead of the full one (~1 GB).
 */
import { FULL_SPEC, LINEAR_SPEC, QUICK_SPEC, QUICK_SPEC_LINEAR } from './plan.js';
import { inspectorRows } from './rows/inspector.js';
import { proxyRows } from './rows/proxy.js';
import { pullRows } from './rows/pull.js';
import { sharingRows } from './rows/sharing.js';
import { solveRows } from './rows/solve.js';
import { assemblyRows } from './rows/assembly.js';
import { cacheRows } from './rows/cache.js';
import { machineHeader, settle, waitForQuiet } from './machine.js';
import { exitCodeOf, formatTable, runRows, type BenchRow } from './table.js';

/** Every row of the bench, in print order. Later issues append theirs here. */
export function allRows(quick: boolean): BenchRow[] {
  const log = (s: string) => console.error(s);
  return [...inspectorRows({ spec: quick ? QUICK_SPEC : FULL_SPEC, linearSpec: quick ? QUICK_SPEC_LINEAR : LINEAR_SPEC, log }), ...proxyRows({ quick, log }), ...pullRows({ log }), ...solveRows({ log }), ...sharingRows({ quick, log }), ...assemblyRows({ quick, log }), ...cacheRows({ quick, log })];
}

// Ctrl-C or a kill ends the run through process.exit, so the rows' 'exit' handlers remove their work folders
// (the assembly rows' corpus copies on tmpfs) instead of leaving them behind
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) process.once(signal, () => process.exit(code));

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
// `--only WORD`: just the rows whose name contains WORD (case-insensitive)
const only = option('--only')?.toLowerCase();
const runs = Number(option('--runs') ?? 3);
const maxWait = Number(option('--max-wait') ?? 90);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a whole number ≥ 1, not ${option('--runs')}`);
if (!(maxWait >= 0)) throw new Error(`--max-wait wants seconds ≥ 0, not ${option('--max-wait')}`);
const header = machineHeader();
console.error(header);
const outcomes = await runRows(allRows(quick).filter((r) => !only || r.name.toLowerCase().includes(only)), {
  runs,
  profile: args.includes('--no-profile') ? false : args.includes('--profile') ? 'always' : true,
  // flush what the row's preparation wrote, then wait for the machine to calm down
  quiet: () => { settle(); return waitForQuiet({ maxMs: maxWait * 1000 }); },
  log: (s) => console.error(s),
});
console.log(`\ndocker-envs bench (${quick ? 'quick, ~50 MB' : 'full, ~1 GB'}; ${runs} run${runs === 1 ? '' : 's'} per row)\n${header}\n`);
console.log(formatTable(outcomes));
process.exitCode = exitCodeOf(outcomes);

/**
 * The bench's row contract and its table. A row measures one thing against a real peer run in the same
 * invocation, several times (each run gives one value of ours and one of the peer's); the verdict is on the
 * medians, and the table prints median [min–max] of both. Before each row the runner waits for a quiet
 * machine and prints the load the row started at. A row whose peer did not run throws (and fails the
 * bench), a row that misses its target is reported as MISS.
 */
import type { QuietReading } from './machine.js';

/** One run of a row: our value and the peer's, in the row's unit, and what else that run found. */
export interface Sample {
  ours: number;
  /** absent when the row has no peer to run */
  peer?: number;
  notes?: string;
}

/** One benchmark row. More rows come as modules exporting these. */
export interface BenchRow {
  name: string;
  /** the target, readable (e.g. "≤ 3× tar") */
  target: string;
  /** a value with its unit (e.g. "2.10 s") */
  format(v: number): string;
  /** the verdict, on the median of ours and of the peer */
  pass(ours: number, peer: number | undefined): boolean;
  /** the ratio column (default ours / peer; lower is better for times and memory) */
  ratio?(ours: number, peer: number | undefined): number;
  /** untimed work before the load wait and the runs (generating an archive, building the app) */
  prepare?(): Promise<void>;
  /** run `i` (from 0): one value of ours and of the peer */
  run(i: number): Promise<Sample>;
  /** a value that cannot vary between runs (a byte count, not a time): measured once */
  deterministic?: boolean;
  /** where the time went, for a row that missed (or every row under `--profile`) */
  profile?(): Promise<string>;
  /** the name of an earlier row whose runs this row reads too (one measurement, several rows): no wait of its own */
  sharesRunsWith?: string;
  /** a floor (bench/floors.ts): a raw part of another row's work, printed beside it, with no target or verdict */
  floor?: boolean;
}

/** min, median and max of a row's runs. */
export interface Spread { min: number; median: number; max: number; values: number[] }

/** The spread of `values` (the median of an even count is the mean of the middle two). */
export function spreadOf(values: number[]): Spread {
  if (values.length === 0) throw new Error('no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1], values };
}

/** What a row's runs gave. */
export interface RowResult {
  ours: Spread;
  peer?: Spread;
  ratio: number;
  pass: boolean;
  notes: string;
}

/** A row's outcome: its result, or the error that kept it (or its peer) from running; the load it started at. */
export interface RowOutcome {
  row: Pick<BenchRow, 'name' | 'target'> & Partial<Pick<BenchRow, 'format' | 'floor'>>;
  result?: RowResult;
  error?: string;
  quiet?: QuietReading;
}

/** How runRows runs the rows. */
export interface RunOptions {
  /** runs per row (at least 3 unless the row is deterministic; default 3) */
  runs?: number;
  /** waits for a quiet machine before each row (default: no wait) */
  quiet?: () => Promise<QuietReading>;
  /** profile a row that missed (true, the default), every row ('always') or none (false) */
  profile?: boolean | 'always';
  log?: (s: string) => void;
}

/** Runs rows one after another, each `runs` times; a throwing row becomes an outcome with `error`. */
export async function runRows(rows: BenchRow[], opts: RunOptions = {}): Promise<RowOutcome[]> {
  const runs = Math.max(1, opts.runs ?? 3);
  const log = opts.log ?? (() => {});
  const out: RowOutcome[] = [];
  const readings = new Map<string, QuietReading | undefined>();
  for (const row of rows) {
    let quiet: QuietReading | undefined;
    try {
      await row.prepare?.();
      if (row.sharesRunsWith && readings.has(row.sharesRunsWith)) {
        // measured already, after that row's wait: its load is this row's
        quiet = readings.get(row.sharesRunsWith);
      } else if (opts.quiet) {
        quiet = await opts.quiet();
        log(`[${row.name}] ${describeLoad(quiet)}`);
      }
      readings.set(row.name, quiet);
      const samples: Sample[] = [];
      for (let i = 0; i < (row.deterministic ? 1 : runs); i++) {
        samples.push(await row.run(i));
        log(`[${row.name}] run ${i + 1}: ${row.format(samples[i].ours)}${samples[i].peer === undefined ? '' : ` vs ${row.format(samples[i].peer!)}`}`);
      }
      out.push({ row, result: await judge(row, samples, opts.profile ?? true), quiet });
    } catch (e) {
      out.push({ row, error: e instanceof Error ? e.message : String(e), quiet });
    }
  }
  return out;
}

/** The verdict on the medians, the notes of the median run, and a profile when the row missed. */
async function judge(row: BenchRow, samples: Sample[], profile: boolean | 'always'): Promise<RowResult> {
  const ours = spreadOf(samples.map((s) => s.ours));
  const peers = samples.flatMap((s) => (s.peer === undefined ? [] : [s.peer]));
  const peer = peers.length ? spreadOf(peers) : undefined;
  const pass = row.pass(ours.median, peer?.median);
  const ratio = row.ratio ? row.ratio(ours.median, peer?.median) : ours.median / (peer?.median ?? NaN);
  // the run closest to the median speaks for the row
  const middle = samples.reduce((a, b) => (Math.abs(b.ours - ours.median) < Math.abs(a.ours - ours.median) ? b : a));
  let notes = middle.notes ?? '';
  if (row.profile && profile !== false && (!pass || profile === 'always')) {
    const p = await row.profile().catch((e: unknown) => `profile failed: ${e instanceof Error ? e.message : String(e)}`);
    notes += `${notes ? '\n' : ''}${p}`;
  }
  return { ours, peer, ratio, pass, notes };
}

function describeLoad(q: QuietReading): string {
  return q.timedOut ? `load ${q.load.toFixed(2)}: not under 1.0 after ${(q.waitedMs / 1000).toFixed(0)} s, started anyway` : `load ${q.load.toFixed(2)} at start`;
}

/** A spread as "median [min–max]" in the row's unit (just the value for a single run). */
function cell(s: Spread, format: (v: number) => string): string {
  return s.values.length === 1 ? format(s.median) : `${format(s.median)} [${format(s.min)}–${format(s.max)}]`;
}

/** Formats outcomes as a fixed-width table: measure, ours and peer (median [min–max]), ratio, target, result (PASS, MISS, FAIL or floor), runs, load. */
export function formatTable(outcomes: RowOutcome[]): string {
  const head = ['measure', 'ours median [min–max]', 'peer median [min–max]', 'ratio', 'target', 'result', 'runs', 'load at start'];
  const body = outcomes.map(({ row, result, quiet }) => {
    const load = quiet ? `${quiet.load.toFixed(2)}${quiet.timedOut ? ' (gave up waiting)' : ''}` : '-';
    const format = row.format ?? ((v: number) => String(v));
    return result
      ? [row.name, cell(result.ours, format), result.peer ? cell(result.peer, format) : '-', Number.isFinite(result.ratio) ? `${result.ratio.toFixed(2)}×` : '-',
        row.target, row.floor ? 'floor' : result.pass ? 'PASS' : 'MISS', String(result.ours.values.length), load]
      : [row.name, '-', '-', '-', row.target, 'FAIL', '-', load];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const notes = outcomes.flatMap(({ row, result, error }) =>
    error ? [`${row.name}: FAILED: ${error}`] : result?.notes ? [`${row.name}: ${result.notes}`] : []);
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** The bench's exit code: 0 when every row ran (MISS included), 1 when any row or its peer failed. */
export function exitCodeOf(outcomes: RowOutcome[]): number {
  return outcomes.every((o) => o.result) ? 0 : 1;
}

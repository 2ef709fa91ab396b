/**
 * The bench's row contract and its table. A row measures one thing against a real peer run in the same
 * invocation; a row whose peer did not run throws (and fails the bench), a row that misses its target
 * is reported as MISS.
 */

/** What a row's run() reports. `ratio` is ours / peer (lower is better for times and memory). */
export interface RowResult {
  /** our measure, formatted with its unit (e.g. "2.10 s") */
  ours: string;
  /** the peer's measure, formatted */
  peer: string;
  ratio: number;
  pass: boolean;
  notes: string;
}

/** One benchmark row. More rows come as modules exporting these. */
export interface BenchRow {
  name: string;
  /** the target, readable (e.g. "≤ 3× tar") */
  target: string;
  run(): Promise<RowResult>;
}

/** A row's outcome: its result, or the error that kept it (or its peer) from running. */
export interface RowOutcome {
  row: Pick<BenchRow, 'name' | 'target'>;
  result?: RowResult;
  error?: string;
}

/** Runs rows one after another; a throwing row becomes an outcome with `error`. */
export async function runRows(rows: BenchRow[]): Promise<RowOutcome[]> {
  const out: RowOutcome[] = [];
  for (const row of rows) {
    try {
      out.push({ row, result: await row.run() });
    } catch (e) {
      out.push({ row, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

/** Formats outcomes as a fixed-width table: measure, ours, peer, ratio, target, PASS/MISS/FAIL. */
export function formatTable(outcomes: RowOutcome[]): string {
  const head = ['measure', 'ours', 'peer', 'ratio', 'target', 'result'];
  const body = outcomes.map(({ row, result }) => result
    ? [row.name, result.ours, result.peer, `${result.ratio.toFixed(2)}×`, row.target, result.pass ? 'PASS' : 'MISS']
    : [row.name, '-', '-', '-', row.target, 'FAIL']);
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

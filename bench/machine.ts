/**
 * The machine a bench runs on: the header line (tool versions, cores, memory), the wait for a quiet
 * machine before each row (1-minute load average under a limit), and `settle()`, which flushes written
 * files to disk so that write-back of a just-generated archive or corpus does not fall inside a timed run
 * (a fresh clone generates them in the same invocation; a working tree reuses them from `.cache/`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

/** The first line a command prints for `args`, or "absent (why)" when it cannot run. */
function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim().split('\n')[0];
  } catch (e) {
    return `absent (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

/** The header line: Node, Chromium, skopeo and GNU tar versions, the cores and the memory. */
export function machineHeader(): string {
  const chromium = firstLine(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version']);
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    `Node ${process.version}`, chromium, firstLine('skopeo', ['--version']), firstLine('tar', ['--version']),
    `${availableParallelism()} cores (${model})`, `${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
  ].join('; ');
}

/** The 1-minute load average from /proc/loadavg. */
export function readLoadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** What waiting for a quiet machine found: the load the row starts at, how long it waited, whether it gave up. */
export interface QuietReading {
  load: number;
  waitedMs: number;
  /** the wait ran out with the load still at or above the limit: the row started anyway */
  timedOut: boolean;
}

/** How to wait; every part can be replaced (tests pass a fake load reader and clock). */
export interface QuietOptions {
  /** start when the 1-minute load average is under this (default 1.0) */
  limit?: number;
  /** give up after this long and start anyway (default 90 s) */
  maxMs?: number;
  /** how often to look again (default 5 s) */
  everyMs?: number;
  read?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Waits until the 1-minute load average is under the limit, or the wait runs out. */
export async function waitForQuiet(opts: QuietOptions = {}): Promise<QuietReading> {
  const { limit = 1.0, maxMs = 90_000, everyMs = 5_000, read = readLoadAverage, now = () => performance.now() } = opts;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((ok) => setTimeout(ok, ms)));
  const start = now();
  for (;;) {
    const load = read();
    const waitedMs = now() - start;
    if (load < limit) return { load, waitedMs, timedOut: false };
    if (waitedMs >= maxMs) return { load, waitedMs, timedOut: true };
    await sleep(Math.min(everyMs, maxMs - waitedMs));
  }
}

/** Flushes written files to disk (`sync`), so their write-back does not run during a timed section. */
export function settle(): void {
  execFileSync('sync', { stdio: 'ignore' });
}

/**
 * Makes sure the CLI's and the server's bundles (bin/bundled.js, `.cache/bundle/`) are built before anything
 * is timed: on a fresh clone the first `docker-envs` run would otherwise build them inside its timed section.
 */
export function prebundle(): void {
  execFileSync(process.execPath, [resolve(repo, 'bin', 'docker-envs.js'), '--help'], { cwd: repo, stdio: 'ignore' });
}

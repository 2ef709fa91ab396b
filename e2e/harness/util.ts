/**
 * Small helpers shared by the harness scripts: repository paths, running commands, timing, and
 * process liveness (zombie-aware, because PID 1 in a container does not always reap orphans).
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository checkout. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the harness keeps generated state (gitignored): daemon data, the busybox rootfs, reports. */
export const cacheDir = process.env.DOCKER_ENVS_HARNESS_CACHE ?? resolve(repoRoot, '.cache/harness');

/** True when running under CI (`CI=true`): a missing peer is then a failure, never a skip. */
export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/** True when running as root (uid 0). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Milliseconds elapsed since `start` (a `performance.now()` value), rounded, as "1234 ms". */
export function since(start: number): string {
  return `${Math.round(performance.now() - start)} ms`;
}

/** Result of a finished command. */
export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a command synchronously and captures its output; never throws on a non-zero exit. */
export function runCapture(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env, input: opts.input, maxBuffer: 64 << 20 });
  if (r.error) return { code: 127, stdout: '', stderr: String(r.error.message) };
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command with inherited stdio and resolves with its exit code (signals map to 128 + n). */
export function runInherit(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<number> {
  return new Promise((resolveCode) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...opts });
    child.on('error', (err) => { console.error(`cannot start ${cmd}: ${err.message}`); resolveCode(127); });
    child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

/** True if `pid` names a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The command line of a live process, or '' when it is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Reads a pidfile; returns 0 when absent or unparsable. */
export function readPid(file: string): number {
  if (!existsSync(file)) return 0;
  const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `pred` every `intervalMs` until it is true or `timeoutMs` passes; resolves with the last value. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (performance.now() > end) return false;
    await sleep(intervalMs);
  }
}

/** True when this module is the script Node was started with (for the CLI entries). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(metaUrl);
}

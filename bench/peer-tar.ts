/**
 * The peer of the inspector rows: GNU `tar -tvf` listing every layer file (extracted beforehand). The whole
 * listing runs `runs` times (the first warms the page cache); `seconds` is the best run, summed over layers.
 * The listing's line count must equal the archive's entry count, so a tar that failed or listed something
 * else fails the row instead of giving a flattering number. Peak memory comes from GNU time (`%M`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What listing the layers with GNU tar took. */
export interface TarListing {
  /** the best run's wall time (sum over layers), in seconds */
  seconds: number;
  /** every run's wall time, in seconds, in order */
  runs: number[];
  /** lines listed in one run (all layers) */
  lines: number;
  /** the largest peak RSS of any tar process, in bytes */
  peakBytes: number;
  /** `tar --version`'s first line */
  version: string;
}

const GNU_TIME = '/usr/bin/time';

/** Runs a command; resolves with its wall time, stdout line count and stderr, or rejects on a non-zero exit. */
function runCounted(cmd: string, args: string[]): Promise<{ seconds: number; lines: number; stderr: string; stdout: string }> {
  return new Promise((ok, fail) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      for (const c of b) if (c === 10) lines++;
      if (stdout.length < 4096) stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.once('error', fail);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return fail(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 300)}`));
      ok({ seconds, lines, stderr, stdout });
    });
  });
}

/**
 * Lists every layer file with `tar -tvf` (under GNU time), `runs` times over all layers; `entries` is the
 * number of entries the generator wrote into all layers together, and a different count throws.
 */
export async function listWithGnuTar(layerFiles: string[], entries: number, runs = 2): Promise<TarListing> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (Debian package "time") is missing: the peer cannot be measured`);
  const version = (await runCounted('tar', ['--version'])).stdout.split('\n')[0];
  if (!version.includes('GNU tar')) throw new Error(`the peer must be GNU tar, found: ${version || 'nothing'}`);
  const times: number[] = [];
  let peakBytes = 0;
  let lines = 0;
  for (let r = 0; r < runs; r++) {
    let seconds = 0;
    lines = 0;
    for (const file of layerFiles) {
      const run = await runCounted(GNU_TIME, ['-f', 'maxrss-kb=%M', 'tar', '-tvf', file]);
      const m = /maxrss-kb=(\d+)/.exec(run.stderr);
      if (!m) throw new Error(`GNU time did not report tar's peak memory: ${run.stderr.slice(0, 200)}`);
      peakBytes = Math.max(peakBytes, Number(m[1]) * 1024);
      seconds += run.seconds;
      lines += run.lines;
    }
    if (lines !== entries) throw new Error(`tar listed ${lines} entries, the generator wrote ${entries}`);
    times.push(seconds);
  }
  return { seconds: Math.min(...times), runs: times, lines, peakBytes, version };
}

/**
 * The peer of the inspector rows: GNU `tar -tvf` listing every layer file (extracted beforehand). The whole
 * listing runs `runs` times (the first warms the page cache); `seconds` is the best run, summed over layers.
 * tar writes its listing straight into a file (no pipe to drain, nothing between tar and its output);
 * the listing's line count must equal the archive's entry count, so a tar that failed or listed something
 * else fails the row instead of giving a flattering number. Peak memory comes from GNU time (`%M`) in a
 * separate, untimed pass.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Runs a command with stdout into `outFile`; resolves with its wall time and stderr, rejects on a non-zero exit. */
function runTimed(cmd: string, args: string[], outFile: string): Promise<{ seconds: number; stderr: string }> {
  return new Promise((ok, fail) => {
    const fd = openSync(outFile, 'w');
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.once('error', (e) => { closeSync(fd); fail(e); });
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      closeSync(fd);
      if (code !== 0) return fail(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 300)}`));
      ok({ seconds, stderr });
    });
  });
}

/** Newlines in a file. */
function countLines(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Lists every layer file with `tar -tvf`, `runs` times over all layers; `entries` is the number of
 * entries the generator wrote into all layers together, and a different count throws.
 */
export async function listWithGnuTar(layerFiles: string[], entries: number, runs = 2): Promise<TarListing> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (Debian package "time") is missing: the peer cannot be measured`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-tar-'));
  const out = join(dir, 'listing');
  try {
    await runTimed('tar', ['--version'], out);
    const version = readFileSync(out, 'utf8').split('\n')[0];
    if (!version.includes('GNU tar')) throw new Error(`the peer must be GNU tar, found: ${version || 'nothing'}`);
    const times: number[] = [];
    let lines = 0;
    for (let r = 0; r < runs; r++) {
      let seconds = 0;
      lines = 0;
      for (const file of layerFiles) {
        seconds += (await runTimed('tar', ['-tvf', file], out)).seconds;
        lines += countLines(out);
      }
      if (lines !== entries) throw new Error(`tar listed ${lines} entries, the generator wrote ${entries}`);
      times.push(seconds);
    }
    let peakBytes = 0;
    for (const file of layerFiles) {
      const { stderr } = await runTimed(GNU_TIME, ['-f', 'maxrss-kb=%M', 'tar', '-tvf', file], out);
      const m = /maxrss-kb=(\d+)/.exec(stderr);
      if (!m) throw new Error(`GNU time did not report tar's peak memory: ${stderr.slice(0, 200)}`);
      peakBytes = Math.max(peakBytes, Number(m[1]) * 1024);
    }
    return { seconds: Math.min(...times), runs: times, lines, peakBytes, version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

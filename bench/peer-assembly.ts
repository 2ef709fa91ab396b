/**
 * The native peer of the assembly rows: the same work on the same cached `.conda` files with native tools,
 * one bash pipeline per package, `parallel` packages at a time (xargs -P):
 *
 *   unzip -p PKG 'info-*.tar.zst' | zstd -dcq | tar -x -C info        (the metadata, paths.json)
 *   unzip -p PKG 'pkg-*.tar.zst'  | zstd -dcq | tar -x -C root/opt/conda
 *   sed -i "s|PLACEHOLDER|/opt/conda|g" <the files paths.json marks text-mode>
 *   tar -c --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C root opt | tee blobs/N.tar | sha256sum
 *
 * then `tar -cf out.tar` of the blobs (the archive). Left out (the peer does less than we do): binary-mode
 * relocation (NUL-padded strings), noarch python's move into site-packages and its entry points, conda-meta
 * records, the image config and manifest. The text-mode file lists are read from paths.json before the
 * clock starts. Everything lives under `workDir` (tmpfs where the bench has one, as for our side).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_PLACEHOLDER, type Corpus } from '../e2e/conda-builder/corpus.js';

/** One run of the native pipeline. */
export interface NativeAssembly {
  /** wall time, seconds */
  seconds: number;
  /** the archive's size, bytes */
  archiveBytes: number;
  /** layers hashed (one per package) */
  layers: number;
  /** the folder of layer tars (`<i>.tar`, i in link order); gone after the call unless `keep` */
  blobs: string;
}

const PKG_SCRIPT = `#!/bin/bash
set -euo pipefail
pkg=$1; i=$2; w=$WORK/$i
mkdir -p "$w/info" "$w/root/opt/conda"
unzip -p "$pkg" 'info-*.tar.zst' | zstd -dcq | tar -x -C "$w/info"
unzip -p "$pkg" 'pkg-*.tar.zst' | zstd -dcq | tar -x -C "$w/root/opt/conda"
if [ -s "$LISTS/$i" ]; then (cd "$w/root/opt/conda" && xargs -d '\\n' -a "$LISTS/$i" sed -i "s|$PH|/opt/conda|g"); fi
tar -c --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$w/root" opt | tee "$OUT/blobs/$i.tar" | sha256sum > "$OUT/$i.sha256"
`;

/** Checks the tools the peer needs; throws naming the missing one. */
export function checkNativeTools(): void {
  for (const [tool, args] of [['unzip', ['-v']], ['zstd', ['--version']], ['tar', ['--version']], ['sha256sum', ['--version']], ['sed', ['--version']], ['xargs', ['--version']]] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      throw new Error(`the native peer needs \`${tool}\` (Debian package ${tool === 'sha256sum' ? 'coreutils' : tool === 'xargs' ? 'findutils' : tool}), which did not run`);
    }
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? ok(Number(process.hrtime.bigint() - t0) / 1e9) : fail(new Error(`the native pipeline exited ${code}: ${err.trim().slice(0, 400)}`))));
  });
}

/**
 * Runs the native pipeline over `corpus` (packages in `order`) `runs` times, `parallel` packages at once;
 * each run starts from an empty output (removing the last run's files is not timed). With `keep` the last
 * run's files stay under `<workDir>/native`.
 */
export async function assembleNatively(corpus: Corpus, order: string[], workDir: string, opts: { parallel: number; runs: number; keep?: boolean }): Promise<NativeAssembly[]> {
  checkNativeTools();
  const dir = join(workDir, 'native');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'lists'), { recursive: true });
  const byFn = new Map(corpus.packages.map((p) => [p.fn, p]));
  const args: string[] = [];
  for (const [i, fn] of order.entries()) {
    const p = byFn.get(fn);
    if (!p) throw new Error(`${fn} is not in the corpus`);
    args.push(corpus.path(p), String(i));
    writeFileSync(join(dir, 'lists', String(i)), p.textPlaceholders.map((f) => `${f}\n`).join(''));
  }
  writeFileSync(join(dir, 'pkg.sh'), PKG_SCRIPT, { mode: 0o755 });
  writeFileSync(join(dir, 'args'), args.join('\n') + '\n');
  const out: NativeAssembly[] = [];
  for (let r = 0; r < opts.runs; r++) {
    for (const d of ['work', 'out', 'out.tar']) rmSync(join(dir, d), { recursive: true, force: true });
    mkdirSync(join(dir, 'out', 'blobs'), { recursive: true });
    mkdirSync(join(dir, 'work'));
    const env = { ...process.env, WORK: join(dir, 'work'), OUT: join(dir, 'out'), LISTS: join(dir, 'lists'), PH: CORPUS_PLACEHOLDER, LC_ALL: 'C' };
    const seconds = await run('bash', ['-c', `xargs -a "$0/args" -d '\\n' -n 2 -P ${opts.parallel} "$0/pkg.sh" && tar -cf "$0/out.tar" -C "$OUT" .`, dir], env);
    const layers = readdirSync(join(dir, 'out')).filter((n) => n.endsWith('.sha256')).length;
    if (layers !== order.length) throw new Error(`the native pipeline hashed ${layers} layers of ${order.length}`);
    out.push({ seconds, archiveBytes: statSync(join(dir, 'out.tar')).size, layers, blobs: join(dir, 'out', 'blobs') });
  }
  if (!opts.keep && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return out;
}

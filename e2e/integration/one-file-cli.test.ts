/**
 * The one-file CLI (dist/docker-envs.mjs, src/cli/one-file-build.node.ts): built here, copied alone into an
 * empty folder with no node_modules above it, and run with nothing but `node`. A build gives the same archive
 * bytes as bin/docker-envs.js with the same inputs, its layers made in worker threads started from that one
 * file (and bin/docker-envs.js's in its own threads); `--help` and `inspect` of a real archive print what
 * bin/docker-envs.js prints.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOneFile } from '../../src/cli/one-file-build.node';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { busyboxRootfsTar } from '../harness/env';

const repo = join(import.meta.dirname, '..', '..');
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', NODE_OPTIONS: '' };

/** True when a node_modules folder sits in `dir` or any folder above it. */
function nodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * Loaded with `--import` into the main thread and every worker thread (they inherit execArgv): in a worker,
 * each reply it posts is appended to the log, with the thread's id and the script the thread runs.
 */
const SPY = (log: string) => `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
if (!isMainThread) {
  const post = parentPort.postMessage.bind(parentPort);
  parentPort.postMessage = (m, t) => {
    appendFileSync(${JSON.stringify(log)}, JSON.stringify({ threadId, keys: Object.keys(workerData ?? {}), digest: m?.digest ?? null }) + '\\n');
    return post(m, t);
  };
}`)}`;

describe.skipIf(!busyboxRootfsTar || !haveFixtures)('the one-file CLI, run with nothing but node', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'one-file-cli-'));
  const alone = join(tmp, 'alone');
  const one = join(alone, 'docker-envs.mjs');
  const base = join(tmp, 'base.tar');
  const channel = fixture('pixi/tests/data/channels/channels/dummy_channel_1');
  let bundleSeconds = 0;

  beforeAll(async () => {
    mkdirSync(alone);
    const started = performance.now();
    await buildOneFile(one);
    bundleSeconds = (performance.now() - started) / 1000;
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const runOne = (args: string[], execArgv: string[] = []) =>
    spawnSync(process.execPath, [...execArgv, 'docker-envs.mjs', ...args], { cwd: alone, env, encoding: 'utf8' });
  const runBin = (args: string[], execArgv: string[] = []) =>
    spawnSync(process.execPath, [...execArgv, join(repo, 'bin', 'docker-envs.js'), ...args], { cwd: repo, env, encoding: 'utf8' });
  const replies = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { threadId: number; keys: string[]; digest: string | null });

  it('is one file, alone in a folder with no node_modules up the tree', () => {
    expect(readdirSync(alone)).toEqual(['docker-envs.mjs']);
    expect(nodeModulesAbove(alone)).toBe(false);
    process.stdout.write(`one-file CLI: bundled in ${bundleSeconds.toFixed(1)} s, ${(statSync(one).size / 2 ** 20).toFixed(1)} MiB\n`);
  });

  it('--help and inspect of a real archive print what bin/docker-envs.js prints', () => {
    const help = runOne(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: docker-envs <command>/);
    expect(help.stdout).toBe(runBin(['--help']).stdout);
    // the version is inside the file (no package.json beside it)
    expect(runOne(['--version']).stdout).toBe(`docker-envs ${(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version}\n`);

    const archive = fixture('go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar');
    const inspected = runOne(['inspect', archive]);
    expect(inspected.stderr).toBe('');
    expect(inspected.status).toBe(0);
    expect(inspected.stdout).toContain('sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44');
    expect(inspected.stdout).toBe(runBin(['inspect', archive]).stdout);
  }, 60_000);

  it('builds the same archive as bin/docker-envs.js, its layers made in threads started from the one file', () => {
    const log = join(tmp, 'threads.log');
    const args = (out: string, cache: string) => ['build', '-b', base, '-i', 'x/one-file:1', '-p', 'dummy-a', '-c', channel, '-o', out, '--cache', cache];
    let started = performance.now();
    const fromOne = runOne(args(join(tmp, 'one.tar'), join(tmp, 'cache-one')), ['--import', SPY(log)]);
    const oneSeconds = (performance.now() - started) / 1000;
    expect(fromOne.stderr).not.toMatch(/error/i);
    expect(fromOne.status).toBe(0);
    expect(fromOne.stdout).toMatch(/2 packages in 3 layers/);
    started = performance.now();
    const fromBin = runBin(args(join(tmp, 'bin.tar'), join(tmp, 'cache-bin')), ['--import', SPY(join(tmp, 'bin-threads.log'))]);
    const binSeconds = (performance.now() - started) / 1000;
    expect(fromBin.status).toBe(0);
    expect(sha(join(tmp, 'one.tar'))).toBe(sha(join(tmp, 'bin.tar')));
    process.stdout.write(`build: one file ${oneSeconds.toFixed(1)} s, bin/docker-envs.js ${binSeconds.toFixed(1)} s\n`);

    // each package layer came back from a layer thread of the one file (flagged in its workerData); the third
    // layer, conda-meta, is written by the main thread
    const fromOneThreads = replies(log);
    expect(fromOneThreads.every((r) => r.keys.includes('dockerEnvsLayerThread'))).toBe(true);
    const member = (name: string) => execFileSync('tar', ['-xOf', join(tmp, 'one.tar'), name], { encoding: 'utf8' });
    const manifest = JSON.parse(member('manifest.json')) as { Config: string }[];
    const layers = (JSON.parse(member(manifest[0]!.Config)) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    expect(layers).toHaveLength(4); // busybox + the environment's 3
    const fromThreads = fromOneThreads.map((r) => r.digest);
    expect(fromThreads).toHaveLength(2);
    expect(new Set(fromThreads).size).toBe(2);
    for (const d of fromThreads) expect(layers.slice(1)).toContain(d);
    // and bin/docker-envs.js made the same layers in its threads (the script bundled beside its bundle)
    expect(replies(join(tmp, 'bin-threads.log')).map((r) => r.digest).sort()).toEqual([...fromThreads].sort());
  }, 300_000);
});

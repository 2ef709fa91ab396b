/**
 * Assembly of an environment image from the benchmark corpus (issue 5): packages cached, derived layers
 * cleared, against a native pipeline doing the same work on the same packages (`bench/peer-assembly.ts`:
 * unzip, `zstd -dc`, `tar`, `sed`, `sha256sum`), both on the same filesystem (tmpfs where there is one).
 *
 * Ours (Node) is the CLI as a user runs it — `docker-envs build -b <empty base> --lock <explicit lock>
 * -o out.tar --cache <cache>` with every package already in the cache's blob store — so it measures open
 * → decompress → install (relocation) → layer tars → sha256/diff_id → the docker-archive written to a
 * file, and nothing else (no solve, no network). Throughput is the corpus's uncompressed payload over the
 * wall time. Target: ≥ 2× the native pipeline's throughput (≤ 0.5× its time), with both using the
 * machine's cores (the peer runs two packages at once).
 *
 * Ours (Chromium) is the same pipeline in a Web Worker of a fresh Chromium (`e2e/pages/assembly.*`): the
 * packages fetched into the OPFS blob store first (untimed, served on loopback), then timed in the worker:
 * buildEnvironment from the lock → the archive written into an OPFS file through the seekable sink a
 * picked file gets. Target: the native throughput (≤ 1.0× its time): the browser builds as fast as native tools.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, createWriteStream, mkdirSync, mkdtempSync, openAsBlob, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { buildCorpus, type Corpus } from '../../e2e/conda-builder/corpus.js';
import { readImageArchive, writeDockerArchiveTo } from '../../src/core/archive/index.js';
import { emptyImage } from '../../src/core/image/index.js';
import { orderForLink } from '../../src/core/plan/index.js';
import type { SolvedRecord } from '../../src/core/solver/index.js';
import type { AssemblyPageApi } from '../../e2e/pages/assembly.worker.js';
import { openBenchBrowser, type BenchBrowser } from '../browser.js';
import { summarizeCpuProfiles } from '../cpu-profile.js';
import { assembleNatively, type NativeAssembly } from '../peer-assembly.js';
import { prebundle } from '../machine.js';
import { formatProfile, profileAction } from '../profile.js';
import type { BenchRow } from '../table.js';

const repo = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
/** where the lock says the packages come from: never fetched, every package is in the cache */
export const CORPUS_CHANNEL_URL = 'https://conda.bench.invalid/corpus';

/** A folder for the run: on tmpfs (/dev/shm) when there is one, so neither side waits on the disk. */
export function assemblyWorkDir(): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch { /* no tmpfs: the OS temp dir for both sides */ }
  return mkdtempSync(join(base, 'docker-envs-assembly-'));
}

/** What both sides share: the corpus, the link order, the work folder with the cache, base and lock. */
export interface AssemblySetup {
  corpus: Corpus;
  /** the corpus's records in link order (orderForLink over their depends) */
  order: SolvedRecord[];
  dir: string;
  /** CLI cache folder whose blob store holds every package */
  cache: string;
  /** an empty image as a docker-archive */
  base: string;
  /** explicit lock, link order */
  lock: string;
}

/** Builds (or reuses) the corpus and lays out the cache, the base and the lock under a fresh work folder. */
export async function prepareAssembly(opts: { quick: boolean; log?: (s: string) => void; dir?: string }): Promise<AssemblySetup> {
  const corpus = await buildCorpus({ quick: opts.quick, ...(opts.log ? { log: opts.log } : {}) });
  const dir = opts.dir ?? assemblyWorkDir();
  const cache = join(dir, 'cache');
  mkdirSync(join(cache, 'blobs', 'sha256'), { recursive: true });
  // "packages cached": the CLI's folder blob store is <cache>/blobs/sha256/<hex>
  for (const p of corpus.packages) copyFileSync(corpus.path(p), join(cache, 'blobs', 'sha256', p.sha256));
  const order = orderForLink(corpus.records(CORPUS_CHANNEL_URL));
  const lock = join(dir, 'lock.txt');
  writeFileSync(lock, ['@EXPLICIT', ...order.map((r) => `${r.url}#${r.sha256}`)].join('\n') + '\n');
  const base = join(dir, 'base.tar');
  await writeDockerArchiveTo([{ image: emptyImage(), tags: ['bench/empty:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  return { corpus, order, dir, cache, base, lock };
}

/** One CLI build from the cache into `out`; resolves with its wall time in seconds. */
export function assembleWithCli(s: AssemblySetup, out: string, nodeFlags: string[] = []): Promise<number> {
  const tmp = join(s.dir, 'tmp');
  rmSync(tmp, { recursive: true, force: true });
  rmSync(out, { force: true });
  mkdirSync(tmp);
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeFlags, join(repo, 'bin', 'docker-envs.js'), 'build', '-b', s.base, '-i', 'bench/env:1', '--lock', s.lock, '-o', out, '--cache', s.cache, '--no-layer-cache'], {
      cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp, SOURCE_DATE_EPOCH: '0' },
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.once('error', fail);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rmSync(tmp, { recursive: true, force: true });
      if (code !== 0) fail(new Error(`docker-envs build exited ${code}: ${err.trim().split('\n').slice(-5).join(' | ').slice(0, 500)}`));
      else ok(seconds);
    });
  });
}

/** Checks that an archive holds one image with a layer per package plus the conda-meta layer. */
export async function checkAssembledArchive(path: string, packages: number): Promise<{ layers: number; bytes: number }> {
  const archive = await readImageArchive(await openAsBlob(path));
  const layers = (await archive.images[0].image.config()).rootfs.diff_ids.length;
  if (layers !== packages + 1) throw new Error(`the built archive has ${layers} layers, not ${packages} packages + 1`);
  return { layers, bytes: statSync(path).size };
}

const mibps = (bytes: number, s: number) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;
const sec = (s: number) => `${s.toFixed(2)} s`;

/** Options of the assembly rows. */
export interface AssemblyRowOptions {
  quick: boolean;
  log?: (s: string) => void;
  /** the work folder (default: a new one on tmpfs, removed when the process exits) */
  dir?: string;
}

/**
 * The assembly rows: Node (the CLI) and a Chromium worker. Run i of the native peer (all cores) is shared by
 * both rows' run i; the corpus, the cache and a one-at-a-time native run (for the notes) are prepared once.
 */
export function assemblyRows(opts: AssemblyRowOptions): BenchRow[] {
  const log = opts.log ?? (() => {});
  const cores = availableParallelism();
  let shared: Promise<{ s: AssemblySetup; sequential: NativeAssembly }> | undefined;
  const natives = new Map<number, Promise<NativeAssembly>>();
  const setup = () => (shared ??= (async () => {
    log(`[assembly] the ${opts.quick ? 'quick' : 'full'} corpus (cached in .cache/harness/conda-builder)…`);
    const s = await prepareAssembly({ quick: opts.quick, log, ...(opts.dir ? { dir: opts.dir } : {}) });
    if (!opts.dir) process.once('exit', () => rmSync(s.dir, { recursive: true, force: true }));
    prebundle();
    log('[assembly] native pipeline, one package at a time (for the notes)…');
    const [sequential] = await assembleNatively(s.corpus, s.order.map((r) => r.fn), s.dir, { parallel: 1, runs: 1 });
    return { s, sequential };
  })());
  const native = (i: number) => {
    if (!natives.has(i)) {
      natives.set(i, setup().then(async ({ s }) => {
        log(`[assembly] run ${i + 1}: native pipeline, ${cores} packages at a time…`);
        return (await assembleNatively(s.corpus, s.order.map((r) => r.fn), s.dir, { parallel: cores, runs: 1 }))[0];
      }));
    }
    return natives.get(i)!;
  };
  const corpusNote = (c: Corpus) => `corpus: ${c.packages.length} packages, ${c.files} files, ${(c.payloadBytes / MiB).toFixed(0)} MiB payload, ${(c.compressedBytes / MiB).toFixed(0)} MiB of .conda`;
  const prepare = async () => { await setup(); };
  return [{
    name: 'assembly: corpus → docker-archive, packages cached (Node CLI)',
    target: '≤ 0.5× native time',
    format: sec,
    pass: (ours, peer) => ours / peer! <= 0.5,
    prepare,
    async run(i) {
      const { s, sequential } = await setup();
      const peer = (await native(i)).seconds;
      log(`[assembly] run ${i + 1}: docker-envs build (CLI)…`);
      const ours = await assembleWithCli(s, join(s.dir, 'ours.tar'));
      const { bytes } = await checkAssembledArchive(join(s.dir, 'ours.tar'), s.corpus.packages.length);
      rmSync(join(s.dir, 'ours.tar'), { force: true });
      return { ours, peer,
        notes: `${corpusNote(s.corpus)}; ours ${mibps(s.corpus.payloadBytes, ours)} (CLI start-up included), archive ${(bytes / MiB).toFixed(0)} MiB; ` +
          `native ${mibps(s.corpus.payloadBytes, peer)} with ${cores} packages at a time, ${sec(sequential.seconds)} one at a time (${mibps(s.corpus.payloadBytes, sequential.seconds)}); ` +
          'the native pipeline skips binary relocation, noarch python and conda-meta' };
    },
    profile: async () => profileCli((await setup()).s),
  }, {
    name: 'assembly: corpus → docker-archive, packages cached (Chromium worker)',
    target: '≤ 1.0× native time',
    format: sec,
    pass: (ours, peer) => ours / peer! <= 1.0,
    async prepare() { await setup(); buildE2ePages(); },
    async run(i) {
      const { s } = await setup();
      const peer = (await native(i)).seconds;
      log(`[assembly] run ${i + 1}: assembling in a Chromium worker (fresh profile)…`);
      // the profile (and so OPFS) in the run's work folder: on the native peer's filesystem
      const b = await openBenchBrowser(buildE2ePages(), { '/corpus': channelApp(s.corpus.channel) }, s.dir);
      try {
        const { page, records } = await openAssemblyPage(b, s.corpus);
        const r = await assembleInPage(page, records);
        if (r.layers !== s.corpus.packages.length + 1) throw new Error(`the worker's image has ${r.layers} layers, not ${s.corpus.packages.length} packages + 1`);
        return { ours: r.seconds, peer,
          notes: `ours ${mibps(s.corpus.payloadBytes, r.seconds)} timed in the worker, archive ${(r.bytes / MiB).toFixed(0)} MiB into OPFS; ` +
            'packages in the OPFS blob store beforehand (fresh profile each run, in the work folder as the native peer\'s files); native as in the Node row' };
      } finally {
        await b.close();
      }
    },
    profile: async () => profilePage((await setup()).s.corpus),
  }];
}

const e2eBuilt = new Set<string>();

/** The e2e build (the app and every e2e/pages/*.html), once per bench run; unminified for readable profiles. */
export function buildE2ePages(minify = true): string {
  const dist = join(repo, '.cache', 'bench', minify ? 'e2e-dist' : 'e2e-dist-unminified');
  if (e2eBuilt.has(dist)) return dist;
  execFileSync(join(repo, 'node_modules', '.bin', 'vite'), ['build', '--config', 'vite.e2e.config.ts', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn', ...(minify ? [] : ['--minify', 'false'])], { cwd: repo, stdio: 'inherit' });
  e2eBuilt.add(dist);
  return dist;
}

/** One more worker run, in a fresh Chromium on the unminified build, under a V8 trace of the page's renderer. */
async function profilePage(corpus: Corpus): Promise<string> {
  const b = await openBenchBrowser(buildE2ePages(false), { '/corpus': channelApp(corpus.channel) });
  try {
    const { page, records } = await openAssemblyPage(b, corpus);
    let seconds = 0;
    const hot = await profileAction(page, async () => { seconds = (await assembleInPage(page, records)).seconds; });
    return `profile (${sec(seconds)} under the trace; self time, page renderer incl. workers, unminified build):\n${formatProfile(hot.hot, hot.threads)}`;
  } catch (e) {
    return `profile failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await b.close();
  }
}

/** The corpus channel's files (`/<subdir>/<file>`) for the bench server. */
export function channelApp(channel: string): Hono {
  const app = new Hono();
  app.get('/:sub/:fn', async (c) => {
    const { sub, fn } = c.req.param();
    if (!/^[\w.-]+$/.test(sub) || !/^[\w.+-]+$/.test(fn)) return c.notFound();
    try {
      return c.body(new Uint8Array(await readFile(join(channel, sub, fn))), 200, { 'content-type': 'application/octet-stream' });
    } catch {
      return c.notFound();
    }
  });
  return app;
}

type Page = Awaited<ReturnType<BenchBrowser['context']['newPage']>>;

/** Opens the assembly page and caches the corpus in its OPFS blob store; the records are in link order. */
export async function openAssemblyPage(b: BenchBrowser, corpus: Corpus): Promise<{ page: Page; records: SolvedRecord[] }> {
  const page = await b.context.newPage();
  await page.goto(`${b.url}e2e/pages/assembly.html`);
  await page.waitForFunction(() => Boolean((window as unknown as { __api?: unknown }).__api));
  const records = orderForLink(corpus.records(`${b.url}corpus`));
  const cached = await page.evaluate((r) => (window as unknown as { __api: AssemblyPageApi }).__api.cache(r), records);
  if (cached !== records.length) throw new Error(`the page cached ${cached} packages of ${records.length}`);
  return { page, records };
}

/** One build in the page's worker (timed there); `layerCache`: through the app's layer cache. */
export function assembleInPage(page: Page, records: SolvedRecord[], layerCache = false) {
  return page.evaluate(([r, cached]) => (window as unknown as { __api: AssemblyPageApi }).__api.assemble(r, 0, [], { layerCache: cached }), [records, layerCache] as const);
}

/** One more CLI run under `--cpu-prof` (every thread), summarised. */
async function profileCli(s: AssemblySetup): Promise<string> {
  const dir = join(s.dir, 'prof');
  rmSync(dir, { recursive: true, force: true });
  try {
    const seconds = await assembleWithCli(s, join(s.dir, 'prof.tar'), ['--cpu-prof', '--cpu-prof-dir', dir]);
    const { threads, hot } = summarizeCpuProfiles(dir);
    return `profile (CLI under --cpu-prof, ${sec(seconds)}; busy per thread ${threads.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}; self time):\n${formatProfile(hot)}`;
  } catch (e) {
    return `profile failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(s.dir, 'prof.tar'), { force: true });
  }
}

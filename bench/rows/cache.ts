/**
 * The build cache's rows (issue 13), from one measurement per run in a fresh Chromium on the assembly page
 * (`e2e/pages/assembly.*`: the app's build pipeline and layer cache in a Web Worker, the archive written into
 * an OPFS file through the seekable sink a picked file gets), with the corpus's packages cached beforehand:
 *
 * - the first build through the app's layer cache (it builds and stores every layer) is watched: the page
 *   renderer's peak RSS over its level just before the build (workers included; /proc, as the inspector's
 *   memory row reads it), and the main thread's long tasks (PerformanceObserver 'longtask');
 * - a second build of the same records (nothing changed: every layer from the cache) is timed in the worker,
 *   against its peer: the same worker copying the archive's bytes into another OPFS file through the same API
 *   (a file's stream into `createWritable`). Both archives must have the same image digest.
 *
 * A second measurement per run watches the same first build of a ~1 GB environment: the corpus and two copies
 * of it (`copyPlan`: packages, paths and bytes of their own), all in one lock, in a fresh Chromium. Its growth
 * is held against the corpus's: memory must not grow with the image.
 */
import { rmSync } from 'node:fs';
import { type AssemblySetup, assembleInPage, buildE2ePages, channelApp, openAssemblyPage, prepareAssembly } from './assembly.js';
import { createProxyApp, defaultProxyConfig } from '../../proxy/index.js';
import { buildApp, findRenderers, openBenchBrowser, readRendererMemory, resetPeakMemory, sampleRendererMemory, type BenchBrowser, type RendererMemory } from '../browser.js';
import { buildCorpus, type Corpus } from '../../e2e/conda-builder/corpus.js';
import { orderForLink } from '../../src/core/plan/index.js';
import { prebundle } from '../machine.js';
import { formatProfile, profileAction } from '../profile.js';
import type { AssemblyPageApi } from '../../e2e/pages/assembly.worker.js';
import type { BenchRow } from '../table.js';

const MB = 1e6;
const MiB = 1024 * 1024;

/** What one run finds. */
interface CacheMeasure {
  /** the first build (layers built and stored) */
  firstSeconds: number;
  /** layers the first build built (the rebuild builds none) */
  layersBuilt: number;
  /** the rebuild with every layer cached, and the OPFS copy of its archive */
  rebuildSeconds: number;
  copySeconds: number;
  archiveBytes: number;
  /** the page renderer's level before the build and its peak during it, bytes */
  idleBytes: number;
  peakBytes: number;
  /** main-thread long tasks during the first build, ms each */
  longTasks: number[];
  detail: string;
}

/** Options of the cache rows. */
export interface CacheRowOptions { quick: boolean; log?: (s: string) => void }

const mb = (v: number) => `${(v / MB).toFixed(0)} MB`;

/** The page renderer's memory around one build: its RSS just before, its peak (VmHWM) during, its memory after. */
interface WatchedMemory { idleBytes: number; peakBytes: number; after?: RendererMemory }

/**
 * Runs `build` with the renderers' peaks reset just before (caching the packages is over, so their level is the
 * page's own) and sampled through it; the page's renderer is the one with the highest peak.
 */
async function watchMemory<T>(b: BenchBrowser, build: () => Promise<T>): Promise<WatchedMemory & { result: T }> {
  const renderers = findRenderers(b.userDataDir);
  const reset = renderers.every((pid) => resetPeakMemory(pid));
  if (!reset) throw new Error('could not reset the renderers\' peak memory (/proc/<pid>/clear_refs)');
  const idle = new Map(renderers.map((pid) => [pid, readRendererMemory(pid)?.rss ?? 0]));
  const memory = sampleRendererMemory(b.userDataDir);
  const result = await build();
  const peaks = memory.stop();
  const [pagePid, peakBytes] = [...peaks].sort((x, y) => y[1] - x[1])[0] ?? [];
  if (pagePid === undefined || !idle.has(pagePid)) throw new Error('no renderer process found for the memory high-water mark');
  const after = readRendererMemory(pagePid);
  return { idleBytes: idle.get(pagePid)!, peakBytes: peakBytes!, ...(after ? { after } : {}), result };
}

const memoryDetail = (m: WatchedMemory) => `page renderer ${mb(m.idleBytes)} before the build, peak ${mb(m.peakBytes)} during it` +
  (m.after ? `, RSS ${mb(m.after.rss)} after it = anon ${mb(m.after.anon)} + file-backed ${mb(m.after.file)}` : '');

/** One run: a fresh profile, the packages cached, a build under watch, a cached rebuild and its copy peer. */
async function measureOnce(s: AssemblySetup, log: (s: string) => void): Promise<CacheMeasure> {
  const b = await openBenchBrowser(buildE2ePages(), { '/corpus': channelApp(s.corpus.channel) });
  try {
    const { page, records } = await openAssemblyPage(b, s.corpus);
    await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks = []; });
    log('[cache] first build through the layer cache (watched)…');
    const watched = await watchMemory(b, () => assembleInPage(page, records, true));
    const first = watched.result;
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks?: number[] }).__longTasks);
    if (!Array.isArray(longTasks)) throw new Error('the page observes no long tasks (PerformanceObserver \'longtask\' missing)');
    log('[cache] rebuild with nothing changed…');
    const again = await assembleInPage(page, records, true);
    if (first.built === 0) throw new Error('the first build took every layer from the cache: the profile was not fresh');
    if (again.built !== 0) throw new Error(`the rebuild with nothing changed built ${again.built} layers of ${first.built}`);
    if (again.digest !== first.digest) throw new Error(`the cached rebuild gave ${again.digest}, the first build ${first.digest}`);
    if (again.bytes !== first.bytes) throw new Error(`the cached rebuild wrote ${again.bytes} bytes, the first build ${first.bytes}`);
    const copy = await page.evaluate(() => (window as unknown as { __api: AssemblyPageApi }).__api.copyArchive());
    if (copy.bytes !== again.bytes) throw new Error(`the copy holds ${copy.bytes} bytes of ${again.bytes}`);
    await page.evaluate(() => (window as unknown as { __api: AssemblyPageApi }).__api.clear());
    return {
      firstSeconds: first.seconds, layersBuilt: first.built, rebuildSeconds: again.seconds, copySeconds: copy.seconds, archiveBytes: again.bytes,
      idleBytes: watched.idleBytes, peakBytes: watched.peakBytes, longTasks,
      detail: `${memoryDetail(watched)}; first build ${first.seconds.toFixed(2)} s`,
    };
  } finally {
    await b.close();
  }
}

/**
 * Main-thread long tasks (ms each) during builds in the app itself, the longest main-thread task by the
 * thread's own CPU time (ms) in each, and what the builds reported.
 */
interface AppLongTasks { first: number[]; rebuild: number[]; firstCpuMs: number; rebuildCpuMs: number; firstSeconds: number; rebuildSeconds: number; cached: string }

interface TraceTask { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }

/**
 * The longest task on the page renderer's main thread by thread (CPU) time, from a 'toplevel' trace: a long
 * task's wall time also counts the time the thread waited for a core, which on a loaded machine can be most of it.
 */
function longestMainThreadCpuMs(events: TraceTask[]): number {
  const names = events.filter((e) => e.name === 'thread_name');
  // the page's renderer is the one running the app's workers
  const pids = new Set(names.filter((e) => e.args?.name === 'DedicatedWorker thread').map((e) => e.pid));
  const main = names.filter((e) => e.args?.name === 'CrRendererMain' && pids.has(e.pid)).map((e) => `${e.pid}:${e.tid}`);
  if (main.length === 0) throw new Error('the trace shows no renderer main thread running workers');
  let longest = 0;
  for (const e of events) if (e.ph === 'X' && main.includes(`${e.pid}:${e.tid}`)) longest = Math.max(longest, (e.tdur ?? 0) / 1000);
  return longest;
}

/**
 * The app as `npm start` serves it (the production build, its proxy beside it) in a fresh Chromium: the Build
 * view given the empty base as a tarball, the corpus channel on loopback and the corpus's explicit lock, Build
 * pressed twice (the packages downloaded and every layer built, then every layer from the cache), each
 * watched by a PerformanceObserver 'longtask' installed before the app's scripts run.
 */
async function measureAppBuilds(s: AssemblySetup, log: (s: string) => void): Promise<AppLongTasks> {
  const proxyConfig = defaultProxyConfig();
  const b = await openBenchBrowser(buildApp(), { '/corpus': channelApp(s.corpus.channel), '/proxy': createProxyApp(proxyConfig) });
  try {
    // the proxy reaches the corpus channel on this server's own loopback port
    proxyConfig.allowHttp.push(new URL(b.url).host);
    const page = b.context.pages()[0] ?? await b.context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[]; showSaveFilePicker?: unknown };
      w.__longTasks = [];
      // no save picker: the app writes the archive into OPFS and offers it for download
      delete w.showSaveFilePicker;
      try {
        new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });
      } catch { /* no long-task timing: the row reports it */ }
    });
    await page.goto(b.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-file').setInputFiles(s.base);
    await page.getByTestId('channel-input').fill(`${b.url}corpus/`);
    await page.getByTestId('cfg-lock').fill(s.corpus.explicitLock(`${b.url}corpus`));
    await page.getByTestId('cfg-tag').fill('bench/env:1');
    await page.getByTestId('cfg-epoch').fill('0');
    const cdp = await b.context.newCDPSession(page);
    const build = async (what: string) => {
      log(`[cache] app page: ${what}…`);
      await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks = []; });
      const events: TraceTask[] = [];
      const collect = (e: { value: unknown[] }) => { events.push(...(e.value as TraceTask[])); };
      cdp.on('Tracing.dataCollected', collect);
      await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: ['toplevel', '__metadata'], excludedCategories: ['*'] } });
      const t0 = performance.now();
      await page.getByTestId('build-button').click();
      await page.waitForFunction(() => document.querySelector('[data-testid=build-status]')?.getAttribute('data-state') === 'building', undefined, { timeout: 60_000, polling: 'raf' });
      await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.querySelector('[data-testid=build-status]')?.getAttribute('data-state') ?? ''), undefined, { timeout: 600_000, polling: 200 });
      const seconds = (performance.now() - t0) / 1000;
      const error = await page.getByTestId('build-error').textContent().catch(() => null);
      if (await page.getByTestId('build-error').count()) throw new Error(`the app's build failed: ${error}`);
      await new Promise<void>((ok, fail) => { cdp.once('Tracing.tracingComplete', () => ok()); cdp.send('Tracing.end').catch(fail); });
      cdp.off('Tracing.dataCollected', collect);
      const tasks = await page.evaluate(() => (window as unknown as { __longTasks?: number[] }).__longTasks);
      if (!Array.isArray(tasks)) throw new Error('the app page observes no long tasks (PerformanceObserver \'longtask\' missing)');
      return { tasks, cpuMs: longestMainThreadCpuMs(events), seconds, cached: (await page.getByTestId('build-cached-layers').textContent()) ?? '' };
    };
    const first = await build('build of the corpus (packages downloaded through the proxy, layers built)');
    const again = await build('rebuild with nothing changed');
    return { first: first.tasks, rebuild: again.tasks, firstCpuMs: first.cpuMs, rebuildCpuMs: again.cpuMs, firstSeconds: first.seconds, rebuildSeconds: again.seconds, cached: again.cached };
  } finally {
    await b.close();
  }
}

/** What the ~1 GB build finds. */
interface LargeMeasure extends WatchedMemory { packages: number; payloadBytes: number; archiveBytes: number; layers: number; seconds: number }

/** The ~1 GB environment (the corpus and its copies, one lock in link order) cached in a fresh profile, then its first build through the layer cache under watch. */
async function measureLarge(corpora: Corpus[], log: (s: string) => void): Promise<LargeMeasure> {
  const mount = (k: number) => `/corpus${k ? `-x${k}` : ''}`;
  const b = await openBenchBrowser(buildE2ePages(), Object.fromEntries(corpora.map((c, k) => [mount(k), channelApp(c.channel)])));
  try {
    const page = await b.context.newPage();
    await page.goto(`${b.url}e2e/pages/assembly.html`);
    await page.waitForFunction(() => Boolean((window as unknown as { __api?: unknown }).__api));
    const records = orderForLink(corpora.flatMap((c, k) => c.records(`${b.url}${mount(k).slice(1)}`)));
    log(`[cache] caching the ~1 GB environment's ${records.length} packages…`);
    const cached = await page.evaluate((r) => (window as unknown as { __api: AssemblyPageApi }).__api.cache(r), records);
    if (cached !== records.length) throw new Error(`the page cached ${cached} packages of ${records.length}`);
    log('[cache] first build of the ~1 GB environment through the layer cache (watched)…');
    const watched = await watchMemory(b, () => assembleInPage(page, records, true));
    const built = watched.result;
    if (built.built === 0) throw new Error('the ~1 GB build took every layer from the cache: the profile was not fresh');
    await page.evaluate(() => (window as unknown as { __api: AssemblyPageApi }).__api.clear());
    return { ...watched, packages: records.length, payloadBytes: corpora.reduce((n, c) => n + c.payloadBytes, 0), archiveBytes: built.bytes, layers: built.layers, seconds: built.seconds };
  } finally {
    await b.close();
  }
}

/** One more rebuild with nothing changed (after an untimed first build) under a V8 trace of the page's renderer. */
async function profileRebuild(s: AssemblySetup): Promise<string> {
  const b = await openBenchBrowser(buildE2ePages(false), { '/corpus': channelApp(s.corpus.channel) });
  try {
    const { page, records } = await openAssemblyPage(b, s.corpus);
    await assembleInPage(page, records, true);
    let seconds = 0;
    const hot = await profileAction(page, async () => { seconds = (await assembleInPage(page, records, true)).seconds; });
    return `profile of the rebuild (${seconds.toFixed(2)} s under the trace; self time, page renderer incl. workers, unminified build):\n${formatProfile(hot.hot, hot.threads)}`;
  } catch (e) {
    return `profile failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await b.close();
  }
}

/** The three rows, sharing run i's measurement. */
export function cacheRows(opts: CacheRowOptions): BenchRow[] {
  const log = opts.log ?? (() => {});
  let shared: Promise<AssemblySetup> | undefined;
  const setup = () => (shared ??= (async () => {
    log(`[cache] the ${opts.quick ? 'quick' : 'full'} corpus (cached in .cache/harness/conda-builder)…`);
    const s = await prepareAssembly({ quick: opts.quick, log });
    process.once('exit', () => rmSync(s.dir, { recursive: true, force: true }));
    prebundle();
    return s;
  })());
  const runs = new Map<number, Promise<CacheMeasure>>();
  const measure = (i: number) => {
    if (!runs.has(i)) runs.set(i, setup().then((s) => measureOnce(s, log)));
    return runs.get(i)!;
  };
  const appRuns = new Map<number, Promise<AppLongTasks>>();
  // after run i of the assembly page, so the two browsers never run at once
  const appMeasure = (i: number) => {
    if (!appRuns.has(i)) appRuns.set(i, measure(i).then(async () => measureAppBuilds(await setup(), log)));
    return appRuns.get(i)!;
  };
  const prepare = async () => { await setup(); buildE2ePages(); };
  // the ~1 GB environment: the corpus and two copies of it
  let copies: Promise<Corpus[]> | undefined;
  const larges = new Map<number, Promise<LargeMeasure>>();
  const corpora = () => (copies ??= (async () => {
    const s = await setup();
    log('[cache] two copies of the corpus for the ~1 GB environment (cached in .cache/harness/conda-builder)…');
    const more: Corpus[] = [];
    for (const copy of [1, 2]) more.push(await buildCorpus({ quick: opts.quick, copy, log }));
    return [s.corpus, ...more];
  })());
  // after the corpus's run i (one browser at a time)
  const large = (i: number) => {
    if (!larges.has(i)) larges.set(i, measure(i).then(corpora).then((c) => measureLarge(c, log)));
    return larges.get(i)!;
  };
  const first = 'cache: rebuild with nothing changed, corpus → OPFS file (Chromium worker)';
  return [{
    name: first,
    target: '≤ 1.5× OPFS copy',
    format: (v) => `${v.toFixed(2)} s`,
    pass: (ours, peer) => ours / peer! <= 1.5,
    prepare,
    async run(i) {
      const m = await measure(i);
      return { ours: m.rebuildSeconds, peer: m.copySeconds,
        notes: `0 layers built (${m.layersBuilt} in the first build), every one from the layer cache (OPFS bodies, IndexedDB catalog), archive ${(m.archiveBytes / MiB).toFixed(0)} MiB into OPFS, same digest as the first build (${m.firstSeconds.toFixed(2)} s); ` +
          'peer = the same worker copying the archive into another OPFS file (file.stream() → createWritable)' };
    },
    profile: async () => profileRebuild(await setup()),
  }, {
    name: 'cache: renderer memory growth while building the corpus (Chromium)',
    target: '≤ 256 MB growth',
    sharesRunsWith: first,
    format: (v) => `${v.toFixed(0)} MB`,
    pass: (ours) => ours <= 256,
    prepare,
    async run(i) {
      const m = await measure(i);
      return { ours: (m.peakBytes - m.idleBytes) / MB,
        notes: `VmHWM of the page's renderer (workers included), reset just before the build, over its RSS then: ${m.detail}` };
    },
  }, {
    name: 'cache: renderer memory growth while building ~1 GB, three corpora (Chromium)',
    target: '≤ 256 MB, ≤ 1.25× corpus',
    format: (v) => `${v.toFixed(0)} MB`,
    pass: (ours, peer) => ours <= 256 && ours / peer! <= 1.25,
    async prepare() { await prepare(); await corpora(); },
    async run(i) {
      const [m, corpus] = await Promise.all([large(i), measure(i)]);
      return { ours: (m.peakBytes - m.idleBytes) / MB, peer: (corpus.peakBytes - corpus.idleBytes) / MB,
        notes: `${m.packages} packages (the corpus and two copies with packages, paths and bytes of their own), ${(m.payloadBytes / MiB).toFixed(0)} MiB payload, ${m.layers} layers, archive ${(m.archiveBytes / MiB).toFixed(0)} MiB into OPFS in ${m.seconds.toFixed(2)} s; ` +
          `VmHWM of the page's renderer as in the corpus row: ${memoryDetail(m)}; peer = the corpus row's growth in the same run` };
    },
  }, {
    name: 'cache: longest main-thread long task during a build, the app page (Chromium)',
    target: '< 50 ms',
    sharesRunsWith: first,
    format: (v) => `${v.toFixed(0)} ms`,
    pass: (ours) => ours < 50,
    async prepare() { await prepare(); buildApp(); },
    async run(i) {
      const m = await measure(i);
      const a = await appMeasure(i);
      const longest = (t: number[]) => `${t.length} (longest ${Math.max(0, ...t).toFixed(0)} ms)`;
      return { ours: Math.max(0, ...a.first, ...a.rebuild),
        notes: `main-thread long tasks (> 50 ms, PerformanceObserver 'longtask') on the app's page (production build, Build view, the corpus's lock, empty base tarball): ` +
          `${longest(a.first)} during the first build (${a.firstSeconds.toFixed(1)} s: packages downloaded through the proxy, layers built), ` +
          `${longest(a.rebuild)} during the rebuild (${a.rebuildSeconds.toFixed(1)} s, ${a.cached} layers from the cache); ` +
          `the longest main-thread task by the thread's own CPU time (trace, 'toplevel'; wall time less the waits for a core): ${a.firstCpuMs.toFixed(0)} ms in the first build, ${a.rebuildCpuMs.toFixed(0)} ms in the rebuild; ` +
          `the assembly page (main thread only relays): ${longest(m.longTasks)} during its first build` };
    },
  }];
}

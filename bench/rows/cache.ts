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
import { findRenderers, openBenchBrowser, readRendererMemory, resetPeakMemory, sampleRendererMemory, type BenchBrowser, type RendererMemory } from '../browser.js';
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
    return `profile of the rebuild (${seconds.toFixed(2)} s under the trace; self time, page renderer incl. workers, unminified build):\n${formatProfile(hot)}`;
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
    name: 'cache: longest main-thread long task during a build (Chromium)',
    target: '< 50 ms',
    sharesRunsWith: first,
    format: (v) => `${v.toFixed(0)} ms`,
    pass: (ours) => ours < 50,
    prepare,
    async run(i) {
      const m = await measure(i);
      return { ours: Math.max(0, ...m.longTasks),
        notes: `${m.longTasks.length} long task${m.longTasks.length === 1 ? '' : 's'} (> 50 ms) on the page's main thread during the first build (PerformanceObserver 'longtask'); 0 = none` };
    },
  }];
}

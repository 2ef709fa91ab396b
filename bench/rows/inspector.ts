/**
 * The inspector rows (issue 3): the generated docker-save archive is set on the built app's
 * `archive-input` in Chromium; the page's marks give the time until the layer list shows and until every
 * entry of every layer is indexed, /proc gives the renderer's memory growth (its high-water mark over its
 * level with the app page loaded, before the file). The peer is GNU `tar -tvf` over the same layer files
 * (warm cache, best of two), run in the same invocation. The linearity rows index an archive of about
 * the same bytes in four times the entries and compare its time and growth with the first archive's.
 */
import { createReadStream } from 'node:fs';
import { generateArchive, type GeneratedArchive } from '../generate.js';
import { buildApp, findRenderers, openBenchBrowser, readJsHeaps, readRendererMemory, sampleRendererMemory, type JsHeap, type RendererMemory } from '../browser.js';
import { askFloorWorker, floorApp } from '../floors.js';
import { listWithGnuTar, type TarListing } from '../peer-tar.js';
import { formatProfile, profileAction } from '../profile.js';
import type { BenchArchiveSpec } from '../plan.js';
import type { BenchRow } from '../table.js';
import type { Page } from '@playwright/test';

/** What one page measurement gives (times in ms from the file being set, memory in bytes). */
export interface InspectorMeasure { layersMs: number; indexedMs: number; peakBytes: number; renderers: number; pageTimings: string; perRenderer: string; idleBytes: number }

/** Options of the inspector rows. */
export interface InspectorRowOptions {
  spec: BenchArchiveSpec;
  /** the archive of the linearity rows: about the same bytes in four times the entries */
  linearSpec?: BenchArchiveSpec;
  log?: (s: string) => void;
}

const MB = 1024 * 1024;

/** Sets the archive on the page and waits for the 'indexed' (or 'error') flag; returns the two mark times. */
async function openArchive(page: Page, url: string, archive: string, beforePick: () => void | Promise<void> = () => {}): Promise<{ layersMs: number; indexedMs: number; pageTimings: string }> {
  await page.goto(url);
  const input = page.getByTestId('archive-input');
  await input.waitFor({ state: 'attached' });
  // mark the moment the file reaches the input, before the page's own change handler runs
  await input.evaluate((el) => el.addEventListener('change', () => performance.mark('bench:picked'), { capture: true }));
  await beforePick();
  await input.setInputFiles(archive);
  await page.waitForFunction(() => ['indexed', 'error'].includes(document.body.dataset.inspector ?? ''), undefined, { timeout: 300_000, polling: 50 });
  // a string, not a function: the TypeScript loader would wrap named arrows in a helper the page lacks
  const state = await page.evaluate(`(() => {
    const at = (n) => performance.getEntriesByName(n, 'mark')[0]?.startTime;
    return {
      phase: document.body.dataset.inspector,
      picked: at('bench:picked'), layers: at('inspector:layers-shown'), indexed: at('inspector:indexed'),
      error: document.querySelector('[data-testid=inspector-error]')?.textContent ?? '',
      timings: document.querySelector('[data-testid=index-timings]')?.textContent ?? '',
    };
  })()`) as { phase?: string; picked?: number; layers?: number; indexed?: number; error: string; timings: string };
  if (state.phase !== 'indexed' || state.picked === undefined || state.layers === undefined || state.indexed === undefined) {
    throw new Error(`the inspector did not index the archive (phase ${state.phase}): ${state.error}`);
  }
  return { layersMs: state.layers - state.picked, indexedMs: state.indexed - state.picked, pageTimings: state.timings.trim().replace(/\s+/g, ' ') };
}

/** One measurement in a fresh browser profile. */
async function measurePage(dist: string, g: GeneratedArchive): Promise<InspectorMeasure> {
  const b = await openBenchBrowser(dist);
  try {
    const page = b.context.pages()[0] ?? await b.context.newPage();
    const memory = sampleRendererMemory(b.userDataDir);
    let idle = new Map<number, number>();
    const idleSplit = new Map<number, RendererMemory | undefined>();
    let idleHeaps: JsHeap[] = [];
    const times = await openArchive(page, b.url, g.archive, async () => {
      idleHeaps = await readJsHeaps(page);
      idle = memory.now();
      for (const pid of idle.keys()) idleSplit.set(pid, readRendererMemory(pid));
    });
    const peaks = memory.stop();
    if (peaks.size === 0) throw new Error('no renderer process found for the memory high-water mark');
    // the page's renderer is the one with the highest mark; the others (spare renderers) are listed
    const [pagePid, peakBytes] = [...peaks].sort((x, y) => y[1] - x[1])[0];
    const end = readRendererMemory(pagePid);
    const before = idleSplit.get(pagePid);
    const mb = (v: number) => `${(v / MB).toFixed(0)} MB`;
    const plus = (v: number) => `${v < 0 ? '-' : '+'}${Math.abs(v / MB).toFixed(1)} MB`;
    const others = [...peaks].filter(([pid]) => pid !== pagePid).map(([, v]) => mb(v));
    // where the growth sits: the JS heaps as indexing left them, then after a collection (what the page holds)
    const heaps = (hs: JsHeap[], growth: boolean) => hs.map((h) => {
      const was = idleHeaps.find((x) => x.target === h.target) ?? { used: 0, total: 0, arrayBuffers: 0 };
      return growth ? `${h.target} heap ${plus(h.total - was.total)} committed (${plus(h.used - was.used)} used), ArrayBuffers ${plus(h.arrayBuffers - was.arrayBuffers)}`
        : `${h.target} heap ${mb(h.used)} used, ArrayBuffers ${mb(h.arrayBuffers)}`;
    }).join(', ');
    const endHeaps = await readJsHeaps(page);
    const collected = await readJsHeaps(page, true);
    await page.waitForTimeout(2000); // the allocators give freed pages back within about a second
    const settled = readRendererMemory(pagePid);
    const detail = `page renderer: ${mb(idle.get(pagePid) ?? 0)} with the page loaded before the file` +
      (end ? `; after indexing RSS ${mb(end.rss)} = anon ${mb(end.anon)} + file-backed ${mb(end.file)} + shared memory ${mb(end.shmem)}` : '') +
      (end && before ? ` (over the level before the file: anon ${plus(end.anon - before.anon)}, file-backed ${plus(end.file - before.file)}, shared memory ${plus(end.shmem - before.shmem)})` : '') +
      `; JS heaps over their level before the file: ${heaps(endHeaps, true)}` +
      `; after a forced collection: ${heaps(collected, false)}` +
      (settled && before ? `, renderer anon ${plus(settled.anon - before.anon)}, file-backed ${plus(settled.file - before.file)}, shared memory ${plus(settled.shmem - before.shmem)} over the level before the file 2 s later` : '') +
      (others.length ? `; other renderers ${others.join(', ')}` : '');
    return { ...times, peakBytes, renderers: peaks.size, perRenderer: detail, idleBytes: idle.get(pagePid) ?? 0 };
  } finally {
    await b.close();
  }
}

/** A CPU profile of one more (unminified) run, for a row that missed. */
async function profileRun(g: GeneratedArchive): Promise<string> {
  const b = await openBenchBrowser(buildApp(false));
  try {
    const page = b.context.pages()[0] ?? await b.context.newPage();
    await page.goto(b.url);
    if (findRenderers(b.userDataDir).length === 0) throw new Error('no renderer');
    const hot = await profileAction(page, async () => { await openArchive(page, b.url, g.archive); });
    return `profile (self time, page renderer incl. worker, unminified build):\n${formatProfile(hot.hot, hot.threads)}`;
  } finally {
    await b.close();
  }
}

/** Reads the archive once, untimed, so Chromium meets it in the page cache as the tar peer meets its layers. */
async function warmRead(path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) void chunk;
}

/**
 * The three inspector rows. They share the generation (in prepare) and, per run, one tar peer run and one
 * page measurement in a fresh profile: the first row to ask for run i measures it, the others reuse it.
 */
export function inspectorRows(opts: InspectorRowOptions): BenchRow[] {
  const log = opts.log ?? (() => {});
  let generated: Promise<GeneratedArchive> | undefined;
  const runs = new Map<number, Promise<{ g: GeneratedArchive; tar: TarListing; ours: InspectorMeasure }>>();
  let profiled: Promise<string> | undefined;
  const generate = () => (generated ??= (async () => {
    log(`generating the ${opts.spec.name} archive (cached in .cache/bench)…`);
    const g = await generateArchive(opts.spec, undefined, log);
    log(`archive: ${(g.archiveBytes / 1e6).toFixed(0)} MB, ${g.layerFiles.length} layers, ${g.layerEntries.reduce((a, b) => a + b, 0)} entries; building the app…`);
    buildApp();
    return g;
  })());
  const measure = (i: number) => {
    if (!runs.has(i)) {
      runs.set(i, (async () => {
        const g = await generate();
        log(`[inspector] run ${i + 1}: GNU tar -tvf, then the page in a fresh Chromium profile…`);
        const tar = await listWithGnuTar(g.layerFiles, g.layerEntries.reduce((a, b) => a + b, 0));
        await warmRead(g.archive);
        const ours = await measurePage(buildApp(), g);
        return { g, tar, ours };
      })());
    }
    return runs.get(i)!;
  };
  let generatedLinear: Promise<GeneratedArchive> | undefined;
  const linearRuns = new Map<number, Promise<{ g: GeneratedArchive; ours: InspectorMeasure }>>();
  const generateLinear = () => (generatedLinear ??= (async () => {
    const spec = opts.linearSpec!;
    log(`generating the ${spec.name} archive (cached in .cache/bench)…`);
    const g = await generateArchive(spec, undefined, log);
    log(`archive: ${(g.archiveBytes / 1e6).toFixed(0)} MB, ${g.layerFiles.length} layers, ${g.layerEntries.reduce((a, b) => a + b, 0)} entries`);
    buildApp();
    return g;
  })());
  // run i of the linearity rows: the first archive's run i, then the bigger archive's page in a fresh profile
  const measureLinear = (i: number) => {
    if (!linearRuns.has(i)) {
      linearRuns.set(i, (async () => {
        await measure(i);
        const g = await generateLinear();
        log(`[inspector] linearity run ${i + 1}: the page over ${g.layerEntries.reduce((a, b) => a + b, 0)} entries in a fresh Chromium profile…`);
        await warmRead(g.archive);
        return { g, ours: await measurePage(buildApp(), g) };
      })());
    }
    return linearRuns.get(i)!;
  };
  const growth = (m: InspectorMeasure) => (m.peakBytes - m.idleBytes) / MB;
  const entriesOf = (g: GeneratedArchive) => g.layerEntries.reduce((a, b) => a + b, 0).toLocaleString('en-US');
  const profile = async () => (profiled ??= profileRun(await generate()));
  const prepare = async () => { await generate(); };
  const sec = (s: number) => `${s.toFixed(2)} s`;
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  return [
    {
      name: 'inspector: layer list shown',
      target: '< 0.5 s',
      format: sec,
      pass: (ours) => ours < 0.5,
      prepare,
      profile,
      async run(i) {
        const { tar, ours } = await measure(i);
        return { ours: ours.layersMs / 1000, peer: tar.seconds,
          notes: `absolute target; peer = GNU tar -tvf over all ${tar.lines} entries (warm cache, best of runs ${tar.runs.map((r) => r.toFixed(2)).join(', ')} s)` };
      },
    },
    {
      name: 'inspector: every entry indexed',
      target: '≤ 3× tar',
      sharesRunsWith: 'inspector: layer list shown',
      format: sec,
      pass: (ours, peer) => ours / peer! <= 3,
      prepare,
      profile,
      async run(i) {
        const { tar, ours } = await measure(i);
        return { ours: ours.indexedMs / 1000, peer: tar.seconds, notes: `page: ${ours.pageTimings}` };
      },
    },
    {
      name: '  floor: the archive read as a Blob in a Chromium worker',
      target: '-',
      floor: true,
      format: sec,
      pass: () => true,
      prepare,
      async run() {
        const g = await generate();
        await warmRead(g.archive);
        const b = await openBenchBrowser(buildApp(), { '/floor': await floorApp() });
        try {
          const r = await askFloorWorker(await b.context.newPage(), b.url, { kind: 'read', path: g.archive });
          if (r.kind !== 'read' || r.bytes !== g.archiveBytes) throw new Error(`the worker read ${r.kind === 'read' ? r.bytes : '?'} bytes of ${g.archiveBytes}`);
          return { ours: r.ms / 1000, notes: `file.stream() drained in a dedicated worker, ${(g.archiveBytes / MB).toFixed(0)} MB, page cache warm, fresh profile: bounds the two rows above` };
        } finally {
          await b.close();
        }
      },
    },
    {
      name: 'inspector: renderer memory growth',
      target: '≤ 40 MB',
      sharesRunsWith: 'inspector: layer list shown',
      format: mb,
      pass: (ours) => ours <= 40,
      prepare,
      async run(i) {
        const { g, tar, ours } = await measure(i);
        return { ours: growth(ours), peer: tar.peakBytes / MB,
          notes: `VmHWM of the page's renderer process, workers included, over its level with the app page loaded before the file (peak ${mb(ours.peakBytes / MB)}; ${ours.perRenderer}); peer = GNU tar's max RSS; archive ${(g.archiveBytes / MB).toFixed(0)} MB` };
      },
    },
    ...(opts.linearSpec ? [
      {
        name: 'inspector: 4× the entries, every entry indexed',
        target: '≤ 4.4× the first',
        format: sec,
        pass: (ours: number, peer: number | undefined) => ours / peer! <= 4.4,
        async prepare() { await generate(); await generateLinear(); },
        async run(i: number) {
          const [{ g: g1, ours: first }, { g, ours }] = [await measure(i), await measureLinear(i)];
          return { ours: ours.indexedMs / 1000, peer: first.indexedMs / 1000,
            notes: `${entriesOf(g)} entries, ${(g.archiveBytes / MB).toFixed(0)} MB; peer = the ${entriesOf(g1)}-entry archive's time in the same run; page: ${ours.pageTimings}` };
        },
      },
      {
        name: 'inspector: 4× the entries, renderer memory growth',
        target: '≤ 4.4× the first',
        sharesRunsWith: 'inspector: 4× the entries, every entry indexed',
        format: mb,
        pass: (ours: number, peer: number | undefined) => ours / peer! <= 4.4,
        async prepare() { await generate(); await generateLinear(); },
        async run(i: number) {
          const [{ g: g1, ours: first }, { ours }] = [await measure(i), await measureLinear(i)];
          return { ours: growth(ours), peer: growth(first),
            notes: `peer = the ${entriesOf(g1)}-entry archive's growth in the same run (${ours.perRenderer})` };
        },
      },
    ] : []),
  ];
}

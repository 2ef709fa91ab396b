/**
 * Pulling an image to a docker-archive, against `skopeo copy docker://… docker-archive:…` on the same image
 * from the harness's open registry, all with cold caches (fresh registries, caches and browser profile each run), run in the same invocation (issue 4): the CLI
 * (`docker-envs pull`, target ≤ 0.8× skopeo's time) and Chromium through the CORS proxy (the app's "Save
 * this image" into a picked file, target ≤ 1.5×).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createProxyApp, defaultProxyConfig } from '../../proxy/index.js';
import { seedRegistryStorage } from '../../e2e/harness/images.js';
import { startRegistries, type Registries } from '../../e2e/harness/registry.js';
import { buildApp, openBenchBrowser, type BenchBrowser } from '../browser.js';
import { askFloorWorker, floorApp } from '../floors.js';
import type { FloorReply } from '../floor.worker.js';
import { prebundle, settle } from '../machine.js';
import { formatProfile, profileAction, type TraceSummary } from '../profile.js';
import type { BenchRow } from '../table.js';

const run = promisify(execFile);
const REF = 'test/debian:bookworm-minbase';

/** Seconds `f` takes. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** One cold skopeo copy to a docker-archive, in seconds. */
function skopeoTime(ref: string, tmp: string, i: number): Promise<number> {
  return timed(() => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${join(tmp, `peer${i}.tar`)}:x/y:1`]));
}

/**
 * Fresh registries and a temp folder for one run. The registries' storage is copied from the seed, which
 * each row's prepare() builds or finds in `.cache/harness` (a fresh clone builds it, debootstrap included,
 * before the load wait); the copy is flushed to disk before anything is timed.
 */
async function withRegistries<T>(log: (s: string) => void, f: (regs: Registries, tmp: string) => Promise<T>): Promise<T> {
  const regs = await startRegistries({ log });
  const tmp = mkdtempSync(join(tmpdir(), 'bench-pull-'));
  try {
    settle();
    return await f(regs, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await regs.stop();
  }
}

type Page = Awaited<ReturnType<BenchBrowser['context']['newPage']>>;

/**
 * The app's "Save this image" of `ref` in a fresh Chromium profile (an empty HTTP cache: the registry's blob
 * answers are cacheable, so a reused profile would serve a second run from its cache) with an empty OPFS
 * blob cache; the save picker answers with an OPFS file (a real FileSystemWritableFileStream, as the
 * picker's). Resolves with the seconds from the click to "saved" and the archive's size.
 */
async function saveInChromium(b: BenchBrowser, ref: string, wrap: (page: Page, action: () => Promise<void>) => Promise<void> = (_, a) => a()): Promise<{ seconds: number; size: number }> {
  const page = await b.context.newPage();
  await page.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
      async () => (await navigator.storage.getDirectory()).getFileHandle('picked.tar', { create: true });
  });
  await page.goto(b.url);
  await page.getByRole('button', { name: 'Build' }).click();
  await page.getByTestId('base-ref').fill(ref);
  let seconds = 0;
  await wrap(page, async () => {
    const t0 = performance.now();
    await page.getByTestId('save-image').click();
    await page.locator('[data-testid="pull-status"][data-state="done"]').waitFor({ timeout: 120_000 });
    seconds = (performance.now() - t0) / 1000;
  });
  const size = await page.evaluate(async () => (await (await (await navigator.storage.getDirectory()).getFileHandle('picked.tar')).getFile()).size);
  return { seconds, size };
}

/** The app and the proxy for `regs`, in a fresh Chromium. */
function openPullBrowser(regs: Registries): Promise<BenchBrowser> {
  const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [regs.open.host] });
  return openBenchBrowser(buildApp(), { '/proxy': proxy });
}

/** The pull rows: debian minbase (the harness's largest image); each run starts fresh registries, ours then skopeo. */
export function pullRows(opts: { log: (s: string) => void }): BenchRow[] {
  const sec = (s: number) => `${s.toFixed(2)} s`;
  return [{
    name: 'pull debian-minbase → docker-archive (CLI)',
    target: '≤ 0.8× skopeo',
    format: sec,
    pass: (ours, peer) => ours / peer! <= 0.8,
    async prepare() { prebundle(); await seedRegistryStorage({ log: opts.log }); },
    run: (i) => withRegistries(opts.log, async (regs, tmp) => {
      const ref = `${regs.open.host}/${REF}`;
      const ours = await timed(() => run(process.execPath, ['bin/docker-envs.js', 'pull', ref, '-o', join(tmp, 'ours.tar'), '--cache', join(tmp, 'cache')]));
      const peer = await skopeoTime(ref, tmp, i);
      const size = statSync(join(tmp, 'ours.tar')).size;
      return { ours, peer, notes: `${(size / 2 ** 20).toFixed(0)} MiB archive; cold blob cache each run; the CLI's time includes Node start-up (its bundle built beforehand)` };
    }),
  }, {
    name: 'pull debian-minbase → docker-archive (Chromium, proxy)',
    target: '≤ 1.5× skopeo',
    format: sec,
    pass: (ours, peer) => ours / peer! <= 1.5,
    async prepare() { buildApp(); await seedRegistryStorage({ log: opts.log }); },
    run: (i) => withRegistries(opts.log, async (regs, tmp) => {
      const ref = `${regs.open.host}/${REF}`;
      const b = await openPullBrowser(regs);
      let ours;
      try {
        ours = await saveInChromium(b, ref);
      } finally {
        await b.close();
      }
      const peer = await skopeoTime(ref, tmp, i);
      return { ours: ours.seconds, peer,
        notes: `${(ours.size / 2 ** 20).toFixed(0)} MiB archive written through the save picker's stream; fresh profile (empty HTTP cache, empty OPFS blob cache) each run; timed from the click to "saved"` };
    }),
    profile: () => withRegistries(opts.log, async (regs) => {
      const b = await openPullBrowser(regs);
      try {
        let traced: TraceSummary = { hot: [], threads: [] };
        const { seconds } = await saveInChromium(b, `${regs.open.host}/${REF}`, async (page, action) => { traced = await profileAction(page, action); });
        return `profile (${seconds.toFixed(2)} s under the trace; self time, page renderer incl. workers):\n${formatProfile(traced.hot, traced.threads)}`;
      } finally {
        await b.close();
      }
    }),
  }, ...pullFloors(opts)];
}

/**
 * The floors beside the Chromium pull: per run, fresh registries and a fresh Chromium whose worker fetches the
 * layer blobs through the proxy (the raw transfer), then decompresses them with DecompressionStream, hashes
 * them with hash-wasm, and writes an OPFS file of about the archive's size. The four rows share run i.
 */
function pullFloors(opts: { log: (s: string) => void }): BenchRow[] {
  const runs = new Map<number, Promise<Extract<FloorReply, { kind: 'pull' }>>>();
  const measure = (i: number) => {
    if (!runs.has(i)) {
      runs.set(i, withRegistries(opts.log, async (regs) => {
        const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [regs.open.host] });
        const b = await openBenchBrowser(buildApp(), { '/proxy': proxy, '/floor': await floorApp() });
        try {
          const [repo, tag] = REF.split(':');
          const r = await askFloorWorker(await b.context.newPage(), b.url, { kind: 'pull', base: `/proxy/${regs.open.host}`, repo, tag });
          if (r.kind !== 'pull') throw new Error('the floor worker answered something else');
          return r;
        } finally {
          await b.close();
        }
      }));
    }
    return runs.get(i)!;
  };
  const MiB = 2 ** 20;
  const first = '  floor: the proxy\'s raw transfer of the layer blobs';
  const floor = (name: string, ms: (r: Extract<FloorReply, { kind: 'pull' }>) => number, what: (r: Extract<FloorReply, { kind: 'pull' }>) => string): BenchRow => ({
    name: `  floor: ${name}`,
    target: '-',
    floor: true,
    ...(`  floor: ${name}` === first ? {} : { sharesRunsWith: first }),
    format: (v) => `${v.toFixed(2)} s`,
    pass: () => true,
    async prepare() { buildApp(); await seedRegistryStorage({ log: opts.log }); },
    async run(i) {
      const r = await measure(i);
      return { ours: ms(r) / 1000, notes: `${what(r)}; in a dedicated worker, fresh profile` };
    },
  });
  return [
    floor('the proxy\'s raw transfer of the layer blobs', (r) => r.transferMs, (r) => `${r.layers} layer blobs, ${(r.compressed / MiB).toFixed(1)} MiB, fetched through the proxy and drained`),
    floor('DecompressionStream on the layers alone', (r) => r.decompressMs, (r) => `gzip, ${(r.compressed / MiB).toFixed(1)} → ${(r.uncompressed / MiB).toFixed(1)} MiB, from Blobs in memory`),
    floor('hash-wasm sha256 over the same bytes', (r) => r.hashMs, (r) => `the ${(r.compressed / MiB).toFixed(1)} MiB of layer blobs, each digest checked against the manifest`),
    floor('OPFS write of the archive\'s size', (r) => r.opfsMs, (r) => `${(r.archiveBytes / MiB).toFixed(1)} MiB (the uncompressed layers, the config and a little) in 1 MiB writes through createWritable()`),
  ];
}

/**
 * Pulling an image to a docker-archive, against `skopeo copy docker://… docker-archive:…` on the same image
 * from the harness's open registry, all with cold caches, run in the same invocation (issue 4): the CLI
 * (`docker-envs pull`, target ≤ 0.8× skopeo's time) and Chromium through the CORS proxy (the app's "Save
 * this image" into a picked file, target ≤ 1.5×).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createProxyApp, defaultProxyConfig } from '../../proxy/index.js';
import { startRegistries, type Registries } from '../../e2e/harness/registry.js';
import { buildApp, openBenchBrowser } from '../browser.js';
import { formatProfile, profileAction } from '../profile.js';
import type { BenchRow } from '../table.js';

const run = promisify(execFile);
const REF = 'test/debian:bookworm-minbase';

/** Best time of `n` runs, in seconds. */
async function best(n: number, f: (i: number) => Promise<unknown>): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

/** skopeo's best of two cold copies to a docker-archive. */
function skopeoTime(ref: string, tmp: string): Promise<number> {
  return best(2, (i) => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${join(tmp, `peer${i}.tar`)}:x/y:1`]));
}

async function withRegistries<T>(log: (s: string) => void, f: (regs: Registries, tmp: string) => Promise<T>): Promise<T> {
  const regs = await startRegistries({ log });
  const tmp = mkdtempSync(join(tmpdir(), 'bench-pull-'));
  try {
    return await f(regs, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await regs.stop();
  }
}

/** The pull rows: debian minbase (the harness's largest image), best of two runs each. */
export function pullRows(opts: { log: (s: string) => void; profile?: boolean | 'always' }): BenchRow[] {
  return [{
    name: 'pull debian-minbase → docker-archive (CLI)',
    target: '≤ 0.8× skopeo',
    run: () => withRegistries(opts.log, async (regs, tmp) => {
      const ref = `${regs.open.host}/${REF}`;
      const ours = await best(2, (i) => run('node', ['bin/docker-envs.js', 'pull', ref, '-o', join(tmp, `ours${i}.tar`), '--cache', join(tmp, `cache${i}`)]));
      const peer = await skopeoTime(ref, tmp);
      const size = statSync(join(tmp, 'ours0.tar')).size;
      return {
        ours: `${ours.toFixed(2)} s`, peer: `${peer.toFixed(2)} s`, ratio: ours / peer, pass: ours / peer <= 0.8,
        notes: `${(size / 2 ** 20).toFixed(0)} MiB archive; cold blob cache each run; the CLI's time includes Node start-up`,
      };
    }),
  }, {
    name: 'pull debian-minbase → docker-archive (Chromium, proxy)',
    target: '≤ 1.5× skopeo',
    run: () => withRegistries(opts.log, async (regs, tmp) => {
      const ref = `${regs.open.host}/${REF}`;
      const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [regs.open.host] });
      const b = await openBenchBrowser(buildApp(), { '/proxy': proxy });
      let ours = Infinity;
      let size = 0;
      try {
        const page = await b.context.newPage();
        // the save picker answers with an OPFS file (a real FileSystemWritableFileStream, as the picker's)
        await page.addInitScript(() => {
          (window as unknown as { showSaveFilePicker: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
            async () => (await navigator.storage.getDirectory()).getFileHandle('picked.tar', { create: true });
        });
        const once = async () => {
          await page.goto(b.url);
          // cold: the blob cache (OPFS) emptied before each run, then a fresh page
          await page.evaluate(async () => {
            const root = await navigator.storage.getDirectory();
            for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) await root.removeEntry(name, { recursive: true });
          });
          await page.reload();
          await page.getByRole('button', { name: 'Build' }).click();
          await page.getByTestId('base-ref').fill(ref);
          const t0 = performance.now();
          await page.getByTestId('save-image').click();
          await page.locator('[data-testid="pull-status"][data-state="done"]').waitFor({ timeout: 120_000 });
          const seconds = (performance.now() - t0) / 1000;
          size = await page.evaluate(async () => (await (await (await navigator.storage.getDirectory()).getFileHandle('picked.tar')).getFile()).size);
          return seconds;
        };
        for (let i = 0; i < 2; i++) ours = Math.min(ours, await once());
        const peer = await skopeoTime(ref, tmp);
        const pass = ours / peer <= 1.5;
        let notes = `${(size / 2 ** 20).toFixed(0)} MiB archive written through the save picker's stream; cold OPFS blob cache each run; timed from the click to "saved"`;
        if ((!pass || opts.profile === 'always') && opts.profile !== false) {
          let seconds = 0;
          const hot = await profileAction(page, async () => { seconds = await once(); });
          notes += `\nprofile (${seconds.toFixed(2)} s under the trace; self time, page renderer incl. workers):\n${formatProfile(hot)}`;
        }
        return { ours: `${ours.toFixed(2)} s`, peer: `${peer.toFixed(2)} s`, ratio: ours / peer, pass, notes };
      } finally {
        await b.close();
      }
    }),
  }];
}

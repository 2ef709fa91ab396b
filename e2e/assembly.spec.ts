/**
 * The benchmark corpus (its quick variant: 50 packages, one layer each) built from cached packages by the
 * CLI, whose layers are made in worker threads, and in a Chromium worker, whose layers are made in Web
 * Workers: the same image, digest for digest, whatever order the workers finish in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { channelApp, CORPUS_CHANNEL_URL, prepareAssembly } from '../bench/rows/assembly';
import { readExplicitLock } from '../src/core/conda';
import { startServer } from '../src/serve';
import { orderForLink } from '../src/core/plan';
import type { SolvedRecord } from '../src/core/solver';
import type { AssemblyPageApi } from './pages/assembly.worker';

const run = promisify(execFile);

test('the quick corpus: the CLI and a Chromium worker build the same image from 50 layers made in parallel', async ({ page }) => {
  test.setTimeout(180_000);
  const tmp = mkdtempSync(join(tmpdir(), 'assembly-spec-'));
  let app: { url: string; close(): Promise<void> } | undefined;
  try {
    const s = await prepareAssembly({ quick: true, dir: tmp });
    expect(s.corpus.packages.length).toBe(50);
    const { stdout } = await run(process.execPath, [resolve('bin/docker-envs.js'), 'build', '-b', s.base, '-i', 'bench/env:1', '--lock', s.lock, '-o', join(tmp, 'cli.tar'), '--cache', s.cache],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
    const cli = /sha256:[0-9a-f]{64}/.exec(stdout)?.[0];
    expect(stdout).toMatch(/50 packages in 51 layers/);

    app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/corpus': channelApp(s.corpus.channel) } });
    await page.goto(`${app.url}e2e/pages/assembly.html`);
    await page.waitForFunction(() => Boolean((window as unknown as { __api?: unknown }).__api));
    // the packages go into the page's OPFS store from the local server; the build then finds them by sha256
    const cached = await page.evaluate((r) => (window as unknown as { __api: AssemblyPageApi }).__api.cache(r), orderForLink(s.corpus.records(`${app.url}corpus`)));
    expect(cached).toBe(50);
    // the records and channels the CLI builds from: its lock file, and conda-forge (its default channel)
    const lock = readExplicitLock(readFileSync(s.lock, 'utf8'));
    expect(lock.every((r) => r.url.startsWith(CORPUS_CHANNEL_URL))).toBe(true);
    const web = await page.evaluate(([r, c]) => (window as unknown as { __api: AssemblyPageApi }).__api.assemble(r, 0, c), [lock, ['conda-forge']] as [SolvedRecord[], string[]]);
    // no clear(): the page's OPFS goes with the test's own browser context (once, in CI, removing it hung)
    expect(web.layers).toBe(51);
    expect(web.digest).toBe(cli);
  } finally {
    await app?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

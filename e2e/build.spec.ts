/**
 * The same spec built by the CLI and in a Chromium worker (solve with rattler's wasm, packages and
 * repodata through the app's proxy, install, write) gives the same archive bytes and manifest digest; the
 * worker keeps the repodata between builds (memory, then OPFS), as the CLI keeps it in its cache folder.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { expect, test, type Page } from '@playwright/test';
import { createProxyApp, defaultProxyConfig } from '../proxy';
import { startServer } from '../src/serve';
import { writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { fixture, haveFixtures } from '../src/test-support/fixtures';
import { serveFolder, type FolderServer } from '../src/test-support/serve-folder';
import { busyboxRootfs } from './harness/busybox';

interface BuildResult { error?: string; archiveSha256: string; packages: string[]; repodata: { hits: number; misses: number } }

/** Builds `dummy-a` from `channel` on the build page (again if it built before); the page's result. */
async function buildInPage(page: Page, base: string, channel: string): Promise<BuildResult> {
  await page.evaluate(() => { delete document.getElementById('out')!.dataset.done; });
  await page.setInputFiles('#base', base);
  await page.fill('#channel', channel);
  await page.fill('#specs', 'dummy-a');
  await page.click('#go');
  await expect(page.locator('#out[data-done]')).toBeAttached({ timeout: 90_000 });
  return await page.evaluate(() => window.__result) as BuildResult;
}

test.describe('building in the browser', () => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  let tmp: string;
  let channelServer: FolderServer;
  let host: string;
  let app: { url: string; close(): Promise<void> };
  let base: string;

  test.beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'build-spec-'));
    channelServer = await serveFolder(fixture('pixi/tests/data/channels/channels'));
    host = channelServer.base.replace('http://', '');
    app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': createProxyApp({ ...defaultProxyConfig(), allowHttp: [host] }) } });
    const { path: rootfs } = await busyboxRootfs();
    base = join(tmp, 'base.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  });
  test.afterAll(async () => {
    await app?.close();
    await channelServer?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('CLI and Chromium worker build the same bytes', async ({ page }) => {
    test.setTimeout(120_000);
    const channel = `http://${host}/dummy_channel_1`;
    const cliOut = join(tmp, 'cli.tar');
    // async: the channel server runs in this process, so a blocking call would starve it
    await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', base, '-i', 'docker-envs.test/built:1', '-p', 'dummy-a', '-c', channel, '-o', cliOut, '--cache', join(tmp, 'cache')],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const cliSha = `sha256:${createHash('sha256').update(readFileSync(cliOut)).digest('hex')}`;

    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}e2e/pages/build.html`);
    const r = await buildInPage(page, base, channel);
    expect(r.error).toBeUndefined();
    expect(r.packages).toEqual(['dummy-c-0.1.0-hb0f4dca_0.conda', 'dummy-a-0.1.0-hb0f4dca_0.conda']);
    expect(r.archiveSha256).toBe(cliSha);
    expect(r.repodata.misses).toBeGreaterThan(0);

    // the worker keeps the repodata between builds: the next solve reads none over the network
    const again = await buildInPage(page, base, channel);
    expect(again.archiveSha256).toBe(cliSha);
    expect(again.repodata).toEqual({ hits: r.repodata.misses, misses: 0 });
    // and a new worker (another page of the origin) finds it in OPFS
    const other = await page.context().newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(`${app.url}e2e/pages/build.html`);
    const fresh = await buildInPage(other, base, channel);
    expect(fresh.archiveSha256).toBe(cliSha);
    expect(fresh.repodata).toEqual({ hits: r.repodata.misses, misses: 0 });
    expect(errors).toEqual([]);
  });
});

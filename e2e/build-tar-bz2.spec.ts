/**
 * A channel that has only `.tar.bz2` packages and `repodata.json.bz2` (rattler's test-server repo): the
 * CLI and a Chromium worker build the same archive bytes from it. Before the project's own bzip2 decoder
 * the browser refused `.tar.bz2` packages ('unsupported-compression') and skipped `.json.bz2`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { createProxyApp, defaultProxyConfig } from '../proxy';
import { startServer } from '../src/serve';
import { writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { fixture, haveFixtures } from '../src/test-support/fixtures';
import { serveFolder, type FolderServer } from '../src/test-support/serve-folder';
import { busyboxRootfs } from './harness/busybox';

test.describe('building from a .tar.bz2 channel in the browser', () => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  let tmp: string;
  let channelServer: FolderServer;
  let app: { url: string; close(): Promise<void> };
  let base: string;

  test.beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'build-bz2-spec-'));
    channelServer = await serveFolder(fixture('rattler/test-data/test-server'));
    const host = channelServer.base.replace('http://', '');
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

  test('CLI and Chromium worker build the same bytes from test-package-0.1-0.tar.bz2', async ({ page }) => {
    test.setTimeout(120_000);
    const channel = `${channelServer.base}/repo`;
    const cliOut = join(tmp, 'cli.tar');
    // async: the channel server runs in this process, so a blocking call would starve it
    await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', base, '-i', 'docker-envs.test/built:1', '-p', 'test-package', '-c', channel, '-o', cliOut, '--cache', join(tmp, 'cache')],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const cliSha = `sha256:${createHash('sha256').update(readFileSync(cliOut)).digest('hex')}`;

    const served = channelServer.log.length;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}e2e/pages/build.html`);
    await page.setInputFiles('#base', base);
    await page.fill('#channel', channel);
    await page.fill('#specs', 'test-package');
    await page.click('#go');
    await expect(page.locator('#out[data-done]')).toBeAttached({ timeout: 90_000 });
    const r = await page.evaluate(() => window.__result) as { error?: string; archiveSha256: string; packages: string[] };
    expect(r.error).toBeUndefined();
    expect(r.packages).toEqual(['test-package-0.1-0.tar.bz2']);
    expect(r.archiveSha256).toBe(cliSha);
    // the browser fetched the package itself (through the proxy), not only the CLI
    expect(channelServer.log.slice(served)).toContain('/repo/noarch/test-package-0.1-0.tar.bz2');
    expect(errors).toEqual([]);
  });
});

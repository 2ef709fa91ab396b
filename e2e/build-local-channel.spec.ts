/**
 * A local channel in the browser: the same channel folder the CLI builds from (`-c /abs/folder`) handed to a
 * Chromium worker as a FileSystemDirectoryHandle (an OPFS copy stands in for the directory picker) and known by
 * the same file:/// URL gives the same archive bytes; nothing goes over the network.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { fixture, haveFixtures } from '../src/test-support/fixtures';
import { busyboxRootfs } from './harness/busybox';

interface FolderBuildResult { error?: string; archiveSha256: string; packages: string[]; warnings: string[] }

test.describe('building from a local channel folder in the browser', () => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  let tmp: string;
  let base: string;
  const channel = fixture('pixi/tests/data/channels/channels/dummy_channel_1');
  const channelUrl = `${pathToFileURL(channel).href}/`;

  test.beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'build-local-channel-'));
    const { path: rootfs } = await busyboxRootfs();
    base = join(tmp, 'base.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  });
  test.afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  test('CLI -c folder and a directory handle in a Chromium worker build the same bytes', async ({ page }) => {
    test.setTimeout(120_000);
    const cliOut = join(tmp, 'cli.tar');
    await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', base, '-i', 'docker-envs.test/built:1', '-p', 'dummy-a', '-c', channel, '-o', cliOut, '--cache', join(tmp, 'cache')],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const cliSha = `sha256:${createHash('sha256').update(readFileSync(cliOut)).digest('hex')}`;

    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/e2e/pages/build.html');
    // from here on, anything but the page's own origin (its scripts, the worker, the wasm) would be the network
    const origin = new URL(page.url()).origin;
    page.context().on('request', (r) => { if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('blob:')) requests.push(r.url()); });
    await page.setInputFiles('#base', base);
    await page.setInputFiles('#channel-folder', channel);
    await page.fill('#channel', channelUrl);
    await page.fill('#specs', 'dummy-a');
    await page.click('#go-folder');
    await expect(page.locator('#out[data-done]')).toBeAttached({ timeout: 90_000 });
    const r = await page.evaluate(() => window.__result) as FolderBuildResult;
    expect(r.error).toBeUndefined();
    expect(r.packages).toEqual([`${channelUrl}linux-64/dummy-c-0.1.0-hb0f4dca_0.conda`, `${channelUrl}linux-64/dummy-a-0.1.0-hb0f4dca_0.conda`]);
    expect(r.archiveSha256).toBe(cliSha);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/**
 * The real python image in the browser: the channel folder of the python made from Debian's python3 and the
 * noarch python packages (e2e/conda-builder/python-channel.ts), on the Debian minbase base, built by the CLI
 * (`-c folder`) and by a Chromium worker handed the same folder: the same archive bytes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { haveFixtures } from '../src/test-support/fixtures';
import { writePythonChannel } from './conda-builder/python-channel';
import { sha256File } from './harness/busybox';
import { debianBaseArchive } from './harness/debian';

interface FolderBuildResult { error?: string; archiveSha256: string; packages: string[]; warnings: string[] }

test.describe('the real python image built in the browser', () => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  let tmp: string;
  let base: string;
  let channel: string;
  let specs: string[];

  test.beforeAll(async () => {
    test.setTimeout(600_000);
    tmp = mkdtempSync(join(tmpdir(), 'build-python-'));
    const written = await writePythonChannel(join(tmp, 'channel'));
    channel = written.dir;
    specs = ['python', ...written.own, ...written.fixtures.filter((f) => !f.missing.length).map((f) => f.name)];
    base = await debianBaseArchive(tmp);
  });
  test.afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  test('CLI -c folder and a Chromium worker build the same archive', async ({ page }) => {
    test.setTimeout(600_000);
    const cliOut = join(tmp, 'cli.tar');
    await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', base, '-i', 'docker-envs.test/built:1', ...specs.flatMap((s) => ['-p', s]), '-c', channel, '-o', cliOut, '--cache', join(tmp, 'cache')],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const cliSha = `sha256:${await sha256File(cliOut)}`;

    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/e2e/pages/build.html');
    await page.setInputFiles('#base', base);
    await page.setInputFiles('#channel-folder', channel);
    await page.fill('#channel', `${pathToFileURL(channel).href}/`);
    await page.fill('#specs', specs.join(' '));
    await page.click('#go-folder');
    await expect(page.locator('#out[data-done]')).toBeAttached({ timeout: 500_000 });
    const r = await page.evaluate(() => window.__result) as FolderBuildResult;
    expect(r.error).toBeUndefined();
    expect(r.packages).toHaveLength(specs.length);
    expect(r.packages.filter((p) => p.startsWith(`${pathToFileURL(channel).href}/linux-64/python-3.11.`))).toHaveLength(1);
    expect(r.archiveSha256).toBe(cliSha);
    expect(errors).toEqual([]);
  });
});

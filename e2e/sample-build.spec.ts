/**
 * The offline sample end to end in Chromium, where no host name but loopback resolves (playwright.config.ts):
 * *Try the sample build* fills the form from the app's own `/sample/` files, the image is built and saved
 * through the picker (an OPFS handle stands in for it), loaded into the real dockerd and the sample's check
 * command (from `public/sample/sample.json`) prints the expected output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dockerEnv, haveDocker } from './harness/env';
import { opfsFile } from './support/opfs-file';

const sample = JSON.parse(readFileSync('public/sample/sample.json', 'utf8')) as {
  specs: string[]; tag: string; check: { command: string[]; output: string };
};

/** The bytes of an OPFS file of the page, through base64. */
test('Try the sample build: built with no network, saved, and it runs in dockerd', async ({ page }) => {
  test.setTimeout(240_000);
  // the sample's channel is on the app's origin: read directly, never through the proxy
  const channelReads: string[] = [];
  page.context().on('request', (r) => { if (r.url().includes('/sample/channel/')) channelReads.push(new URL(r.url()).pathname); });
  await page.addInitScript(() => {
    (window as unknown as { showSaveFilePicker?: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
      async () => (await navigator.storage.getDirectory()).getFileHandle('sample.tar', { create: true });
  });
  await page.goto('/');
  // the browser really is offline for any other host
  expect(await page.evaluate(() => fetch('http://conda.anaconda.org/').then(() => 'reached', (e: Error) => e.name))).toBe('TypeError');

  await page.getByRole('button', { name: 'Build' }).focus();
  await page.keyboard.press('Enter');
  const tryButton = page.getByRole('button', { name: 'Try the sample build' });
  await tryButton.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('cfg-tag')).toHaveValue(sample.tag);
  await expect(page.getByTestId('channel-input')).toHaveValue(new URL('/sample/channel/', page.url()).href);
  await expect(page.getByTestId('spec-input')).toHaveCount(sample.specs.length);
  await expect(page.getByTestId('form-invalid')).toHaveCount(0);

  await page.getByTestId('build-button').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  expect(channelReads).toContain('/sample/channel/linux-64/repodata.json');
  expect(channelReads.filter((p) => !p.startsWith('/sample/channel/'))).toEqual([]);
  const tar = await opfsFile(page, 'sample.tar');
  expect(tar.length).toBeGreaterThan(0);

  test.skip(!haveDocker, 'no harness dockerd (DOCKER_HOST)');
  const tmp = mkdtempSync(join(tmpdir(), 'sample-build-'));
  try {
    writeFileSync(join(tmp, 'sample.tar'), tar);
    execFileSync('docker', ['load', '-i', join(tmp, 'sample.tar')], { env: dockerEnv() });
    const out = execFileSync('docker', ['run', '--rm', '--network', 'none', sample.tag, ...sample.check.command], { env: dockerEnv(), encoding: 'utf8' });
    expect(out).toBe(sample.check.output);
  } finally {
    spawnSync('docker', ['rmi', '-f', sample.tag], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * The build history end to end: a build from a registry base and an HTTP channel (both behind counting
 * upstreams, reached through the app's proxy) is listed after a reload; *Save again* writes the same archive
 * (the CLI's bytes) from the cache, with no package bytes sent by the channel and no layer built; *Open in the
 * inspector* opens it there.
 */
import { expect, test } from '@playwright/test';
import { opfsFile } from './support/opfs-file';
import { buildInApp, sha256, startBuilderEnv, type BuilderEnv } from './support/builder-env';
import { existsSync } from 'node:fs';

const TAG = 'docker-envs.test/history:1';
const EPOCH = '1700000000';

test.describe('the build history', () => {
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let env: BuilderEnv;
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    env = await startBuilderEnv({ faulty: true });
  });
  test.afterAll(async () => { await env?.close(); });

  test('Save again after a reload: the same archive from the cache, no package bytes, no layer built; Open in the inspector', async ({ page }) => {
    test.setTimeout(300_000);
    await page.addInitScript(() => {
      let n = 0;
      (window as unknown as { showSaveFilePicker?: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
        async () => (await navigator.storage.getDirectory()).getFileHandle(`out-${n++}.tar`, { create: true });
    });
    await buildInApp(page, env, TAG, EPOCH);
    const built = sha256(await opfsFile(page, 'out-0.tar'));
    expect(built).toBe(await env.cliBuild(['-i', TAG, '-p', 'hello-script', '-p', 'hello-elf'], { SOURCE_DATE_EPOCH: EPOCH }));

    await page.reload();
    const packageBytes = () => Object.entries(env.faults!.channel.stats.bytesOut).filter(([p]) => /\.(conda|tar\.bz2)$/.test(p)).reduce((n, [, b]) => n + b, 0);
    const before = packageBytes();
    expect(before).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await expect(page.getByTestId('history-row')).toHaveCount(1);
    await expect(page.getByTestId('history-sha256')).toHaveText(built.slice(7, 19));
    await page.getByRole('button', { name: `Save ${TAG} again` }).click();
    await expect(page.getByTestId('save-again-done')).toContainText('(2 of 2 layers from the cache)', { timeout: 120_000 });
    // the picker stand-in counts on after the reload: this save went to out-0.tar again
    expect(sha256(await opfsFile(page, 'out-0.tar'))).toBe(built);
    expect(packageBytes()).toBe(before);

    await page.getByRole('button', { name: `Open ${TAG} in the inspector` }).click();
    await expect(page.getByText(TAG).first()).toBeVisible({ timeout: 60_000 });
  });
});

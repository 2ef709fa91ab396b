import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { busyboxRootfs } from './harness/busybox';
import { SAMPLE_FOLDER } from './recipes/sample-image';

test('the same inputs give the same archive bytes in Node and in a Chromium worker', async ({ page }) => {
  test.setTimeout(120_000);
  const { path: rootfs } = await busyboxRootfs();
  const tmp = mkdtempSync(join(tmpdir(), 'docker-envs-determinism-'));
  try {
    const folder = join(tmp, 'sample');
    for (const [p, content] of Object.entries(SAMPLE_FOLDER)) {
      mkdirSync(dirname(join(folder, p)), { recursive: true });
      writeFileSync(join(folder, p), content);
    }
    const node = JSON.parse(execFileSync('node', ['--import', 'tsx', 'e2e/recipes/write-sample.ts', rootfs, folder, '1700000000'], { encoding: 'utf8' }));

    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/e2e/pages/determinism.html');
    await page.setInputFiles('#rootfs', rootfs);
    await page.setInputFiles('#folder', folder);
    await page.click('#go');
    await expect(page.locator('#out[data-done]')).toBeAttached({ timeout: 90_000 });
    const browser = await page.evaluate(() => window.__result) as Record<string, unknown>;

    expect(browser.error).toBeUndefined();
    expect(node.diffIds).toHaveLength(3);
    expect(browser).toEqual(node);
    expect(errors).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

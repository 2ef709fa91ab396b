import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { SAMPLE_DIR, type SampleDescription } from './sample-assets/build';

/** Collects console errors and uncaught page errors, so a spec can assert there were none. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return errors;
}

test('the app loads, shows its title and logs no errors', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await expect(page).toHaveTitle('docker-envs');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('docker-envs');
  expect(errors).toEqual([]);
});

test('a test page from e2e/pages runs the core in the browser', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/e2e/pages/harness.html');
  await expect(page.locator('#out[data-done]')).toBeVisible();
  const result = await page.evaluate(() => window.__result) as { digest: string };
  // Node's own sha256 is the oracle for the core's wasm sha256 running in Chromium.
  const expected = `sha256:${createHash('sha256').update('docker-envs').digest('hex')}`;
  expect(result.digest).toBe(expected);
  expect(errors).toEqual([]);
});

test('the built app serves the offline sample (public/sample/) byte for byte, and 404 for what it lacks', async ({ request }) => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const sample = JSON.parse(readFileSync(join(SAMPLE_DIR, 'sample.json'), 'utf8')) as SampleDescription;
  const channelFiles = ['linux-64', 'noarch'].flatMap((sub) => {
    const repodata = JSON.parse(readFileSync(join(SAMPLE_DIR, sample.channel, sub, 'repodata.json'), 'utf8')) as { 'packages.conda': Record<string, unknown> };
    return [`${sample.channel}${sub}/repodata.json`, ...Object.keys(repodata['packages.conda']).map((fn) => `${sample.channel}${sub}/${fn}`)];
  });
  const files = ['sample.json', sample.base.path, sample.base.notice, ...channelFiles];
  expect(files).toHaveLength(10);
  for (const path of files) {
    const r = await request.get(`/sample/${path}`);
    expect(r.status(), path).toBe(200);
    expect(sha(await r.body()), path).toBe(sha(readFileSync(join(SAMPLE_DIR, path))));
  }
  // a solver probes for sharded and compressed repodata first: those must be plain 404s, not the app's page
  for (const probe of ['linux-64/repodata_shards.msgpack.zst', 'linux-64/repodata.json.zst', 'noarch/repodata.json.bz2']) {
    expect((await request.get(`/sample/${sample.channel}${probe}`)).status(), probe).toBe(404);
  }
});

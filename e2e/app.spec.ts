import { createHash } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';

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

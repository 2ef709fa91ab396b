/**
 * Accessibility of each view, checked by axe-core (the engine browsers' own audits use) in Chromium: the
 * builder empty and after the offline sample is filled in, previewed and built; the inspector with a fixture
 * archive open, on every detail tab; the compare view empty and with the sample image set against its base.
 * No serious or critical violation may remain; a failure lists each rule with the elements it found. In each
 * view with its content, Tab alone must reach every control on the page.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { fixture, haveFixtures } from '../src/test-support/fixtures';

/**
 * The serious and critical violations axe finds on the page as it is now, in the light and the dark colour
 * scheme (the app follows the system's), as `scheme rule (impact): help: targets` lines.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).analyze();
    found.push(...violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${colorScheme} ${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

/**
 * The page's controls (links, buttons, fields, anything with a tabIndex of 0 or more; visible and enabled)
 * that Tab never reaches, going once round the whole page from its start, described for the failure.
 */
async function unreachableByTab(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const all = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary, [tabindex]')]
      .filter((e) => e.tabIndex >= 0 && !(e as HTMLButtonElement).disabled && e.getClientRects().length > 0 && !e.closest('[hidden], [inert]'));
    all.forEach((e, i) => { e.dataset.tabProbe = String(i); });
    // the body focused: the next Tab starts from the page's top, not from the last control used
    document.body.tabIndex = -1;
    document.body.focus();
    document.body.removeAttribute('tabindex');
    return all.length;
  });
  expect(count, 'controls on the page').toBeGreaterThan(5);
  const reached = new Set<string>();
  for (let i = 0; i < count + 5; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.tabProbe);
    if (at !== undefined) reached.add(at);
  }
  return page.evaluate((seen) => [...document.querySelectorAll<HTMLElement>('[data-tab-probe]')]
    .filter((e) => !seen.includes(e.dataset.tabProbe!))
    .map((e) => `${e.tagName.toLowerCase()} ${e.dataset.testid ?? e.getAttribute('aria-label') ?? e.textContent?.trim().slice(0, 40)}`), [...reached]);
}

test('builder: empty, then filled, previewed and built', async ({ page }) => {
  test.setTimeout(240_000);
  await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
  await page.goto('/');
  await page.getByRole('button', { name: 'Build' }).click();
  await expect(page.getByTestId('build-button')).toBeVisible();
  expect(await seriousViolations(page), 'empty form').toEqual([]);

  await page.getByRole('button', { name: 'Try the sample build' }).click();
  await expect(page.getByTestId('form-invalid')).toHaveCount(0);
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  expect(await seriousViolations(page), 'filled and solved').toEqual([]);

  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  expect(await seriousViolations(page), 'built').toEqual([]);
  expect(await unreachableByTab(page), 'controls Tab does not reach').toEqual([]);
});

test('builder: malformed fields flagged, the credentials dialog', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Build' }).click();
  await page.getByTestId('base-ref').fill('Not A Reference');
  await page.getByTestId('spec-input').first().fill('a::b::c');
  await expect(page.getByTestId('spec-error')).toBeVisible();
  await expect(page.getByTestId('base-error')).toBeVisible();
  expect(await seriousViolations(page), 'malformed').toEqual([]);
  await page.getByRole('button', { name: 'Credentials…' }).click();
  await expect(page.getByRole('dialog', { name: 'Registry credentials' })).toBeVisible();
  expect(await seriousViolations(page), 'credentials dialog').toEqual([]);
});

test('inspector: empty, then a fixture archive on every tab', async ({ page }) => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  test.setTimeout(240_000);
  await page.goto('/');
  expect(await seriousViolations(page), 'nothing open').toEqual([]);
  await page.getByTestId('archive-input').setInputFiles(fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar'));
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed', { timeout: 30_000 });
  for (const name of ['Layer files', 'Merged filesystem', 'Largest files', 'Conda packages', 'Raw archive']) {
    await page.getByRole('tab', { name }).click();
    await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel')).not.toContainText('Indexing…');
    expect(await seriousViolations(page), name).toEqual([]);
  }
  expect(await unreachableByTab(page), 'controls Tab does not reach').toEqual([]);
});

test('inspector: the built-in sample (conda records, links, whiteouts)', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed', { timeout: 30_000 });
  for (const name of ['Layer files', 'Merged filesystem', 'Conda packages']) {
    await page.getByRole('tab', { name }).click();
    await expect(page.getByRole('tabpanel')).not.toContainText('Indexing…');
    expect(await seriousViolations(page), name).toEqual([]);
  }
});

test('compare: empty, then the sample image against its base', async ({ page }) => {
  test.setTimeout(240_000);
  const tmp = mkdtempSync(join(tmpdir(), 'a11y-compare-'));
  try {
    const base = 'public/sample/base/busybox.tar', built = join(tmp, 'sample.tar');
    execFileSync('node', ['bin/docker-envs.js', 'build', '-b', base, '-i', 'a11y/sample:1', '-c', './public/sample/channel', '-p', 'hello-script', '-p', 'hello-py',
      '--label', 'stage=b', '-o', built, '--cache', join(tmp, 'cache')], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, stdio: 'pipe' });
    await page.goto('/');
    await page.getByRole('button', { name: 'Compare' }).first().click();
    await expect(page.getByTestId('compare-button')).toBeVisible();
    expect(await seriousViolations(page), 'empty').toEqual([]);
    await page.getByTestId('compare-a-file').setInputFiles(base);
    await page.getByTestId('compare-b-file').setInputFiles(built);
    await page.getByTestId('compare-button').click();
    await expect(page.getByTestId('compare-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('compare-packages').locator('tbody tr')).not.toHaveCount(0);
    expect(await seriousViolations(page), 'compared').toEqual([]);
    expect(await unreachableByTab(page), 'controls Tab does not reach').toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

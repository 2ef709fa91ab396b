/**
 * Share links end to end in Chromium, through the app's proxy: a base image in a real registry on loopback
 * and the project's test channel served over loopback HTTP. A build's "Copy share link", opened in a fresh
 * browser context (its own storage: nothing cached, nothing typed), restores the form and rebuilds the same
 * manifest digest and the same archive bytes, the packages' hashes taken from the channel's repodata. A link
 * whose lock digest was altered is refused before any package is downloaded; a truncated link leaves the form
 * as it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { decodeShareLink, encodeShareLink } from '../src/state/share-link';
import { sha256, startBuilderEnv, type BuilderEnv } from './support/builder-env';

const TAG = 'docker-envs.test/shared:1';
const EPOCH = '1700000000';

test.describe('share links', () => {
  test.describe.configure({ mode: 'serial' });
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let env: BuilderEnv;
  let tmp: string;
  let regHost: string;
  let channelUrl: string;
  let app: BuilderEnv['app'];
  let shared: { url: string; digest: string; sha: string };

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    env = await startBuilderEnv();
    ({ tmp, regHost, channelUrl, app } = env);
  });
  test.afterAll(async () => { await env?.close(); });

  /** A page in a context of its own (fresh storage), saving builds through the download path; package downloads counted. */
  async function freshPage(browser: Browser): Promise<{ page: Page; packages: string[]; close(): Promise<void> }> {
    const context = await browser.newContext();
    await context.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    const packages: string[] = [];
    context.on('request', (r) => { if (/\.(conda|tar\.bz2)$/.test(r.url())) packages.push(r.url()); });
    return { page: await context.newPage(), packages, close: () => context.close() };
  }

  /** Builds what the form holds and returns the manifest digest and the sha256 of the downloaded tar. */
  async function buildAndSave(page: Page, name: string): Promise<{ digest: string; sha: string }> {
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('build-download').click()]);
    const out = join(tmp, name);
    await download.saveAs(out);
    return { digest: (await page.getByTestId('build-digest').textContent())!, sha: sha256(readFileSync(out)) };
  }

  test('a link opened in a fresh context restores the form and rebuilds the same digest and bytes', async ({ browser }) => {
    test.setTimeout(300_000);
    const first = await freshPage(browser);
    const { page } = first;
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-ref').fill(`${regHost}/test/busybox:1`);
    await page.getByTestId('channel-input').fill(channelUrl);
    await page.getByTestId('spec-input').fill('hello-script');
    await page.getByTestId('add-spec').click();
    await page.getByTestId('spec-input').nth(1).fill('hello-elf');
    await page.getByTestId('cfg-cmd').fill('["hello-prefix"]');
    await page.getByTestId('cfg-labels').fill('org.example.shared=yes');
    await page.getByTestId('cfg-variables').fill('GREETING=hi');
    await page.getByTestId('cfg-tag').fill(TAG);
    await page.getByTestId('cfg-epoch').fill(EPOCH);
    // nothing to share before anything is solved
    await expect(page.getByTestId('share-copy')).toHaveCount(0);
    const built = await buildAndSave(page, 'first.tar');
    expect(first.packages.length).toBeGreaterThan(0);
    await page.getByTestId('share-copy').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url.startsWith(`${app.url.replace(/\/?$/, '/')}#share=1.`)).toBe(true);
    const link = decodeShareLink(new URL(url).hash);
    expect(link.locks?.[0].packages.map((p) => p.name)).toEqual(expect.arrayContaining(['hello-script', 'hello-elf']));
    expect(link.base.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    shared = { url, ...built };
    const axe = await new AxeBuilder({ page }).include('[data-testid="share"]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await first.close();

    const second = await freshPage(browser);
    await second.page.goto(url);
    const p2 = second.page;
    await expect(p2.getByTestId('share-opened')).toContainText(`shared lock of ${link.locks![0].packages.length} packages`);
    await expect(p2.getByTestId('base-ref')).toHaveValue(`${regHost}/test/busybox:1@${link.base.digest}`);
    expect(await p2.getByTestId('channel-input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([channelUrl]);
    expect(await p2.getByTestId('spec-input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['hello-script', 'hello-elf']);
    await expect(p2.getByTestId('cfg-cmd')).toHaveValue('["hello-prefix"]');
    await expect(p2.getByTestId('cfg-labels')).toHaveValue('org.example.shared=yes');
    await expect(p2.getByTestId('cfg-variables')).toHaveValue('GREETING=hi');
    await expect(p2.getByTestId('cfg-tag')).toHaveValue(TAG);
    await expect(p2.getByTestId('cfg-epoch')).toHaveValue(EPOCH);
    await expect(p2.getByTestId('share-warning')).toHaveCount(0);
    const rebuilt = await buildAndSave(p2, 'second.tar');
    // the fresh context downloaded the packages itself: the bytes come from the channel, not a shared cache
    expect(second.packages.length).toBeGreaterThan(0);
    await expect(p2.getByTestId('build-log')).toContainText("rebuilding the shared lock's");
    expect(rebuilt).toEqual(built);
    await second.close();
  });

  test('a link whose lock digest was altered is refused before any package is downloaded', async ({ browser }) => {
    test.setTimeout(120_000);
    test.skip(!shared, 'needs the link of the previous test');
    const link = decodeShareLink(new URL(shared.url).hash);
    const [lock] = link.locks!;
    const altered = { ...link, locks: [{ ...lock, sha256: `${lock.sha256[0] === '0' ? '1' : '0'}${lock.sha256.slice(1)}` }] };
    const { page, packages, close } = await freshPage(browser);
    await page.goto(`${app.url.replace(/\/?$/, '/')}#${encodeShareLink(altered)}`);
    await expect(page.getByTestId('share-opened')).toBeVisible();
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'error', { timeout: 90_000 });
    const message = await page.getByTestId('build-error').textContent();
    expect(message).toContain(`not the shared link's ${altered.locks[0].sha256}`);
    expect(message).toContain('Nothing was built');
    expect(packages).toEqual([]);
    await expect(page.getByTestId('build-download')).toHaveCount(0);
    await close();
  });

  test('a truncated link, or one from another layer format, says so; a truncated one leaves the form untouched', async ({ browser }) => {
    test.setTimeout(60_000);
    test.skip(!shared, 'needs the link of the previous test');
    const { page, close } = await freshPage(browser);
    await page.goto(shared.url.slice(0, Math.floor(shared.url.length * 0.7)));
    await expect(page.getByTestId('share-error')).toContainText('this share link cannot be read');
    await expect(page.getByTestId('base-ref')).toHaveValue('busybox:latest');
    await expect(page.getByTestId('share-opened')).toHaveCount(0);
    // another layer format: opened, with a warning
    const link = decodeShareLink(new URL(shared.url).hash);
    await page.goto(`${app.url.replace(/\/?$/, '/')}#${encodeShareLink({ ...link, layerFormat: link.layerFormat + 1 })}`);
    await expect(page.getByTestId('share-warning')).toContainText(`layers have format ${link.layerFormat + 1}`);
    await expect(page.getByTestId('share-error')).toHaveCount(0);
    await expect(page.getByTestId('cfg-tag')).toHaveValue(TAG);
    await close();
  });
});

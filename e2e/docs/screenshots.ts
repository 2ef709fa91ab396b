/**
 * The README's screenshots (`npm run screenshots`): the built app (vite build into `.cache/docs-dist`) served
 * as `npm start` serves it, on 127.0.0.1:8080 (`PORT` changes it) so the addresses shown are the ones the
 * README gives, in Debian's Chromium with a fixed viewport and scale. Both views use the offline sample, so
 * nothing leaves the machine and every run shows the same packages, sizes and digests:
 *   docs/build-view.png  the Build view filled by "Try the sample build", with its preview (the page down to
 *                        the preview's end; the browser's storage estimate pinned to 10 GB)
 *   docs/inspector.png   the inspector on the built-in sample
 * Each PNG is checked to stay under 200 KB.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../bench/browser';
import { createProxyApp, defaultProxyConfig } from '../../proxy';
import { startServer } from '../../src/serve';

const OUT_DIST = resolve('.cache/docs-dist');
const VIEWPORT = { width: 1280, height: 860 };
const MAX_BYTES = 200 * 1024;

/** Takes a screenshot (the viewport, or the page from its top down to `height` pixels) into `docs/<name>` and checks its size. */
async function shoot(page: Page, name: string, height?: number): Promise<void> {
  const path = resolve('docs', name);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const clip = height ? { clip: { x: 0, y: 0, width: VIEWPORT.width, height }, fullPage: true } : {};
  await page.screenshot({ path, ...clip, animations: 'disabled', caret: 'hide' });
  const size = statSync(path).size;
  if (size > MAX_BYTES) throw new Error(`${name} is ${size} bytes, above ${MAX_BYTES}: shrink the view`);
  console.log(`docs/${name}: ${size} bytes`);
}

execFileSync('npx', ['vite', 'build', '--outDir', OUT_DIST, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
const app = await startServer({ staticRoot: OUT_DIST, port: Number(process.env.PORT ?? 8080), host: '127.0.0.1', routes: { '/proxy': createProxyApp(defaultProxyConfig()) } });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, '--font-render-hinting=none'],
});
try {
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-US', timezoneId: 'UTC' });
  // the storage line of the preview shows the browser's estimate: pinned, so the picture is the same on every disk
  await page.addInitScript(() => {
    Object.defineProperty(navigator.storage, 'estimate', { value: async () => ({ quota: 10e9, usage: 0 }) });
  });
  await page.goto(app.url);

  await page.getByRole('button', { name: 'Build' }).click();
  await page.getByRole('button', { name: 'Try the sample build' }).click();
  await page.getByTestId('cfg-tag').waitFor();
  await page.getByTestId('preview-button').click();
  await page.locator('[data-testid="preview"][data-state="done"]').waitFor({ timeout: 120_000 });
  // the page down to the preview's end: the form, then the preview with its packages and layer plan
  const preview = (await page.getByTestId('preview').boundingBox())!;
  await shoot(page, 'build-view.png', Math.ceil(preview.y + preview.height + 12));

  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await page.locator('body[data-inspector="indexed"]').waitFor({ timeout: 60_000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'inspector.png');
} finally {
  await browser.close();
  await app.close();
}

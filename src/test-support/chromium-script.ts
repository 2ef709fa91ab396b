/**
 * For the Vitest files that run core code in Debian's Chromium (`*.chromium.test.ts`): the entry module bundled
 * by Vite into one script, the browser launched as the harness launches it, and a page on a secure origin
 * without a server (crypto.subtle and OPFS need one) with that script loaded.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'vite';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True where that Chromium is installed (the files skip otherwise). */
export const haveChromium = existsSync(chromiumPath);

/** Bundles `entry` (module source) into an IIFE script that exposes its exports as `globalThis[name]`. */
export async function bundleScript(entry: string, name: string): Promise<string> {
  const out = await build({
    configFile: false, logLevel: 'silent',
    plugins: [{ name: 'entry', enforce: 'pre', resolveId: (id) => (id.endsWith('virtual:entry') ? '\0entry' : null), load: (id) => (id === '\0entry' ? entry : null) }],
    build: { write: false, minify: false, lib: { entry: 'virtual:entry', formats: ['iife'], name } },
  });
  return (Array.isArray(out) ? out[0] : out as { output: Array<{ code?: string }> }).output[0].code!;
}

/** Launches headless Chromium with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A new page on http://localhost/ (answered by a route, no server) with `script` loaded. */
export async function pageWithScript(browser: Browser, script: string): Promise<Page> {
  const page = await browser.newPage();
  await page.route('http://localhost/**', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>t</title>' }));
  await page.goto('http://localhost/');
  await page.addScriptTag({ content: script });
  return page;
}

/**
 * `.tar.bz2` conda packages and `repodata.json.bz2` in the real browser (Debian's Chromium), where they
 * were refused before the project had its own bzip2 decoder: real fixture packages are fetched, opened
 * and installed in the page, and give the same installed files (the same layer diffId, entry by entry)
 * as in Node; a bzip2 bomb stops at the cap there too; repodata.json.bz2 loads to the same records.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, chromiumPath, launchChromium } from '../../test-support/chromium-script';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { layerFromTarEntries } from '../image';
import { installPackage, type InstallOptions } from './install';
import { openCondaPackage } from './package';
import { loadRepodata } from './repodata';
import { resolveChannel } from './channel';

const ORIGIN = 'http://localhost';

const PKGS: Array<[string, InstallOptions]> = [
  ['conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2', { prefix: '/opt/env' }],
  ['conda/tests/data/conda_format_repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2', {}],
  ['conda-package-handling/tests/data/mock-2.0.0-py37_1000.tar.bz2', {}],
  ['conda-package-handling/tests/data/cph_test_data-0.0.1-0.tar.bz2', {}],
  ['conda/history/tests/data/legacy_repodata/noarch/moto-1.3.7-py_0.tar.bz2', { pythonVersion: '3.11' }],
  ['quetz/plugins/quetz_harvester/tests/data/xtensor-io-0.10.3-hb585cf6_0.tar.bz2', {}],
];

/** Runs in the page: the same calls as the Node side below. */
const entry = `
import { installPackage, openCondaPackage, loadRepodata, resolveChannel } from ${JSON.stringify(resolve(__dirname, 'index.ts'))};
import { layerFromTarEntries } from ${JSON.stringify(resolve(__dirname, '../image/index.ts'))};
globalThis.installFixture = async (rel, opts) => {
  try {
    const blob = await (await fetch('/fixtures/' + rel)).blob();
    const pkg = await openCondaPackage(blob, rel.split('/').pop());
    const inst = await installPackage(pkg, opts);
    return { format: pkg.format, files: inst.files, names: inst.entries.map((e) => e.name), diffId: await layerFromTarEntries(inst.entries).diffId(), warnings: inst.warnings };
  } catch (e) {
    return { error: e.code ?? e.name, message: String(e.message) };
  }
};
globalThis.openBytes = async (b64, fn) => {
  try {
    await openCondaPackage(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]), fn);
    return { ok: true };
  } catch (e) {
    return { error: e.code ?? e.name, message: String(e.message) };
  }
};
globalThis.repodata = async (rel, subdir) => {
  const r = await loadRepodata(resolveChannel(location.origin + '/fixtures/' + rel), subdir);
  return { format: r.format, records: r.records };
};`;

describe.skipIf(!existsSync(chromiumPath) || !haveFixtures)('.tar.bz2 conda packages in Chromium', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const script = await bundleScript(entry, 'condaCheck');
    browser = await launchChromium();
    page = await browser.newPage();
    // a secure origin without a server (crypto.subtle needs one); /fixtures/ serves the shared fixtures, 404 when absent
    await page.route(`${ORIGIN}/**`, async (r) => {
      const path = decodeURIComponent(new URL(r.request().url()).pathname);
      if (!path.startsWith('/fixtures/')) return r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>t</title>' });
      const file = fixture(path.slice('/fixtures/'.length));
      if (path.includes('..') || !existsSync(file)) return r.fulfill({ status: 404, body: 'not found' });
      return r.fulfill({ status: 200, body: readFileSync(file), contentType: 'application/octet-stream' });
    });
    await page.goto(`${ORIGIN}/`);
    await page.addScriptTag({ content: script });
  }, 120_000);
  afterAll(async () => { await browser?.close(); });

  type Installed = { format?: string; files?: string[]; names?: string[]; diffId?: string; warnings?: string[]; error?: string; message?: string };
  const inBrowser = <T>(fn: string, ...args: unknown[]) =>
    page.evaluate(([f, a]) => (globalThis as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

  it('real fixture packages open and install with the same files as in Node (layer diffIds equal)', async () => {
    for (const [rel, opts] of PKGS) {
      const got = await inBrowser<Installed>('installFixture', rel, opts);
      expect(got.error, `${rel}: ${got.message}`).toBeUndefined();
      const pkg = await openCondaPackage(await openAsBlob(fixture(rel)), rel.split('/').pop()!);
      const inst = await installPackage(pkg, opts);
      expect(got.format, rel).toBe('tar.bz2');
      expect(got.files, rel).toEqual(inst.files);
      expect(got.names, rel).toEqual(inst.entries.map((e) => e.name));
      expect(got.warnings, rel).toEqual(inst.warnings);
      expect(got.diffId, rel).toBe(await layerFromTarEntries(inst.entries).diffId());
      expect(inst.files.length, rel).toBeGreaterThan(0);
    }
  }, 120_000);

  it('a bzip2 bomb named .tar.bz2 stops at the cap in the browser', async () => {
    const bomb = execFileSync('sh', ['-c', 'head -c 120000000 /dev/zero | bzip2 -9'], { maxBuffer: 1 << 20 });
    const t = performance.now();
    const got = await inBrowser<Installed>('openBytes', bomb.toString('base64'), 'bomb.tar.bz2');
    expect(got).toMatchObject({ error: 'archive-invalid', message: expect.stringMatching(/^bomb\.tar\.bz2 expands past \d+ bytes/) });
    expect(performance.now() - t).toBeLessThan(20_000);
  }, 60_000);

  it('repodata.json.bz2 loads in the browser to the same records as in Node', async () => {
    const rel = 'rattler/test-data/test-server/repo';
    const got = await inBrowser<{ format: string; records: unknown[] }>('repodata', rel, 'noarch');
    expect(got.format).toBe('json.bz2');
    // Node reads the same bytes from the folder, through the same loader
    const nodeFetch: typeof fetch = async (url) => {
      const file = fixture(new URL(String(url)).pathname.slice('/fixtures/'.length));
      return existsSync(file) ? new Response(readFileSync(file)) : new Response('', { status: 404 });
    };
    const node = await loadRepodata(resolveChannel(`${ORIGIN}/fixtures/${rel}`), 'noarch', { fetch: nodeFetch });
    expect(node.format).toBe('json.bz2');
    expect(got.records).toEqual(node.records);
    expect(got.records.length).toBeGreaterThan(0);
  }, 60_000);
});

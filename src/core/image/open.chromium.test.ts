/**
 * openImage in the real browser: an OCI layout folder as a FileSystemDirectoryHandle (written into OPFS) and
 * a tarball as a File give the same images Node opens from the same fixtures; a path string, which a
 * browser cannot read, is a clear error and not taken for a registry reference.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, chromiumPath, launchChromium, pageWithScript } from '../../test-support/chromium-script';
import { dirSource } from '../archive/test-helpers.node';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { openImage } from './open';

const LAYOUT = 'go-containerregistry/pkg/v1/layout/testdata/test_index_one_image';
const TARBALL = 'go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar';

/** Runs in the page: writes the layout into OPFS, opens it by its handle and the tarball as a File. */
const entry = `
import { openImage } from ${JSON.stringify(resolve(__dirname, 'open.ts'))};
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const summary = async (o) => ({ source: o.source, tags: o.tags, manifestDigest: o.manifestDigest ?? null, digest: await o.image.digest(), config: new TextDecoder().decode(await o.image.rawConfig()) });
globalThis.check = async (layout, tarball) => {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry('layout', { recursive: true }).catch(() => {});
  const top = await root.getDirectoryHandle('layout', { create: true });
  for (const [path, b64] of Object.entries(layout)) {
    const parts = path.split('/');
    let d = top;
    for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
    const w = await (await d.getFileHandle(parts.at(-1), { create: true })).createWritable();
    await w.write(bytes(b64));
    await w.close();
  }
  let pathError;
  try { await openImage('./base.tar'); } catch (e) { pathError = { code: e.code, message: e.message }; }
  return {
    handle: await summary(await openImage(top)),
    file: await summary(await openImage(new File([bytes(tarball)], 'test_image_1.tar'))),
    pathError,
  };
};`;

/** Every file under `dir`, by relative path, as base64. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!existsSync(chromiumPath) || !haveFixtures)('openImage in Chromium equals Node', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(entry, 'openCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  it('a directory handle and a File: the images Node opens; a path string is invalid-argument', async () => {
    const page = await pageWithScript(browser, script);
    type Summary = { source: string; tags: string[]; manifestDigest: string | null; digest: string; config: string };
    const got = await page.evaluate(([l, t]) => (globalThis as unknown as { check(l: unknown, t: unknown): Promise<{ handle: Summary; file: Summary; pathError?: { code: string; message: string } }> }).check(l, t),
      [filesOf(fixture(LAYOUT)), readFileSync(fixture(TARBALL)).toString('base64')] as const);
    const node = async (o: Awaited<ReturnType<typeof openImage>>): Promise<Summary> => ({
      source: o.source, tags: o.tags, manifestDigest: o.manifestDigest ?? null, digest: await o.image.digest(), config: new TextDecoder().decode(await o.image.rawConfig()),
    });
    expect(got.handle).toEqual(await node(await openImage(dirSource(fixture(LAYOUT)))));
    expect(got.handle.source).toBe('layout');
    expect(got.file).toEqual(await node(await openImage(new File([readFileSync(fixture(TARBALL))], 'test_image_1.tar'))));
    expect(got.file.source).toBe('archive');
    expect(got.pathError).toEqual({ code: 'invalid-argument', message: expect.stringContaining('./base.tar is a path') });
  }, 60_000);
});

/**
 * fileSystemWritableSink in Chromium (an OPFS file's createWritable, as the build worker writes an archive):
 * appends of mixed sizes (pieces gathered into its ring of buffers, pieces as large as a buffer written as they
 * are) land in order, a write over bytes already written lands in place, and the file equals the bytes given.
 */
import { resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, haveChromium, launchChromium, pageWithScript } from '../../test-support/chromium-script';

const at = (p: string) => JSON.stringify(resolve(__dirname, p));
const entry = `
import { fileSystemWritableSink } from ${at('./write.ts')};
const bytes = (n, seed) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255; return b; };
globalThis.check = async () => {
  const root = await navigator.storage.getDirectory();
  const fh = await root.getFileHandle('sink-check.bin', { create: true });
  const expected = bytes(5 * 1024 * 1024 + 77, 3);
  // a small buffer size, so that the run crosses it many times; the sizes around it and far over it
  const sink = fileSystemWritableSink(await fh.createWritable(), 64 * 1024);
  const sizes = [512, 700, 65536, 100, 65535, 300000, 1, 512, 131072, 9000];
  for (let at = 0, k = 0; at < expected.length; k++) {
    const n = Math.min(sizes[k % sizes.length], expected.length - at);
    await sink.write(expected.slice(at, at + n));
    at += n;
  }
  const patch = bytes(1024, 200);
  expected.set(patch, 4096);
  await sink.writeAt(4096, patch);
  let late = 'accepted';
  await sink.write(new Uint8Array(1)).catch((e) => { late = e.message; });
  await sink.close();
  const got = new Uint8Array(await (await fh.getFile()).arrayBuffer());
  await root.removeEntry('sink-check.bin');
  return { size: [got.length, expected.length], same: got.length === expected.length && got.every((v, i) => v === expected[i]), late };
};
`;

describe.skipIf(!haveChromium)('fileSystemWritableSink in Chromium', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(entry, 'writableSinkCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  it('appends of mixed sizes land in order, a write over written bytes in place', { timeout: 60_000 }, async () => {
    const page = await pageWithScript(browser, script);
    const got = await page.evaluate(() => (globalThis as unknown as { check(): Promise<Record<string, unknown>> }).check());
    expect(got.size).toEqual([5 * 1024 * 1024 + 77, 5 * 1024 * 1024 + 77]);
    expect(got.same).toBe(true);
    expect(got.late).toMatch(/append after a write over/);
  });
});

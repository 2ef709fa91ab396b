/**
 * The product requirement "same folder → same layer in Node and in Chromium", checked in the real
 * browser: the folder is written into OPFS and read back through folderFromDirectoryHandle and
 * through a File list, in Chromium, and compared with folderFromPath on the same files in Node.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, chromiumPath, launchChromium, pageWithScript } from '../../test-support/chromium-script';
import { layerFromFolder } from './folder';
import { folderFromPath } from './folder.node';

const files: Record<string, string> = { 'README': 'readme\n', 'bin/run': '#!/bin/sh\necho run\n', 'lib/deep/data.txt': 'x'.repeat(70_000), 'ü n/ï.txt': 'unicode\n' };
const emptyDirs = ['empty', 'lib/also-empty'];

/** Runs in the page: builds the folder in OPFS and returns the diffIds each browser source gives. */
const entry = `
import { layerFromFolder, folderFromDirectoryHandle, folderFromFileList } from ${JSON.stringify(resolve(__dirname, 'folder.ts'))};
globalThis.check = async (files, emptyDirs) => {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry('src', { recursive: true }).catch(() => {});
  const top = await root.getDirectoryHandle('src', { create: true });
  const dirOf = async (parts) => { let d = top; for (const p of parts) d = await d.getDirectoryHandle(p, { create: true }); return d; };
  const list = [];
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/');
    const fh = await (await dirOf(parts.slice(0, -1))).getFileHandle(parts.at(-1), { create: true });
    const w = await fh.createWritable(); await w.write(text); await w.close();
    const f = await fh.getFile();
    Object.defineProperty(f, 'webkitRelativePath', { value: 'src/' + path });
    list.push(f);
  }
  for (const d of emptyDirs) await dirOf(d.split('/'));
  return {
    handle: await layerFromFolder(folderFromDirectoryHandle(top)).diffId(),
    handlePortable: await layerFromFolder(folderFromDirectoryHandle(top), { portable: true }).diffId(),
    fileList: await layerFromFolder(folderFromFileList(list.reverse())).diffId(),
  };
};`;

describe.skipIf(!existsSync(chromiumPath))('folder layers in Chromium equal Node', () => {
  let browser: Browser;
  let script: string;
  const tmp = mkdtempSync(join(tmpdir(), 'folder-chromium-'));
  beforeAll(async () => {
    script = await bundleScript(entry, 'folderCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); rmSync(tmp, { recursive: true, force: true }); });

  it('directory handle = Node path (no symlinks, no x bits); File list = portable everywhere', async () => {
    const page = await pageWithScript(browser, script);
    const got = await page.evaluate(([f, e]) => (globalThis as unknown as { check(f: unknown, e: unknown): Promise<Record<string, string>> }).check(f, e), [files, emptyDirs] as const);

    for (const [p, text] of Object.entries(files)) { mkdirSync(join(tmp, p, '..'), { recursive: true }); writeFileSync(join(tmp, p), text); }
    for (const d of emptyDirs) mkdirSync(join(tmp, d), { recursive: true });
    const node = await layerFromFolder(folderFromPath(tmp)).diffId();
    const nodePortable = await layerFromFolder(folderFromPath(tmp), { portable: true }).diffId();
    expect(got.handle).toBe(node);
    expect(got.handlePortable).toBe(nodePortable);
    expect(got.fileList).toBe(nodePortable);
    expect(node).not.toBe(nodePortable); // the empty directories make the difference
  }, 60_000);
});

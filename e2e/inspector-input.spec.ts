/**
 * The inspector's other ways in and around: drag and drop, an OCI layout folder, keyboard use of the
 * tree, and an image whose layers attack the extractor (path traversal), which the page flags but never follows.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, test } from '@playwright/test';
import { writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { fixture, haveFixtures } from '../src/test-support/fixtures';
import { collectTreeRows } from './support/tree-rows';

test.skip(!haveFixtures, 'shared fixtures are absent');

const cli = (...args: string[]) => JSON.parse(execFileSync('node', ['bin/docker-envs.js', 'inspect', '--json', ...args], { encoding: 'utf8' }));

test('a file dropped on the page opens', async ({ page }) => {
  await page.goto('/');
  const path = fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar');
  const b64 = readFileSync(path).toString('base64');
  const dt = await page.evaluateHandle((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const t = new DataTransfer();
    t.items.add(new File([bytes], 'whiteout_image.tar'));
    return t;
  }, b64);
  await page.locator('.inspector').dispatchEvent('dragover', { dataTransfer: dt });
  await page.locator('.inspector').dispatchEvent('drop', { dataTransfer: dt });
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
  await expect(page.getByTestId('image-tags')).toHaveText(cli(path).images[0].tags.join(', '));
});

test('an OCI layout folder opens like its tar', async ({ page }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'docker-envs-layout-'));
  try {
    const tarPath = fixture('dive/.data/test-oci-gzip-image.tar');
    const dir = join(tmp, 'layout');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-xf', tarPath, '-C', dir]);
    const expected = cli(dir).images[0];
    await page.goto('/');
    await page.getByTestId('folder-input').setInputFiles(dir);
    await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
    for (const [i, l] of expected.layers.entries()) {
      await expect(page.getByTestId(`layer-digest-${i}`)).toHaveText(l.digest);
      await expect(page.getByTestId(`layer-entries-${i}`)).toContainText(l.entries.toLocaleString('en-US'));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the tree works from the keyboard', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
  const tree = page.getByRole('tree');
  await tree.focus();
  const first = tree.getByRole('treeitem').first();
  await expect(first).toHaveAttribute('data-path', 'bin');
  await expect(first).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('tree-total')).toContainText('12 entries');
  await page.keyboard.press('ArrowLeft');
  await expect(first).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByTestId('tree-total')).toContainText('10 entries');
  await page.keyboard.press('ArrowDown');
  await expect(tree).toHaveAttribute('aria-activedescendant', /-1$/);
  await expect(tree.locator('[aria-selected="true"]')).toHaveAttribute('data-path', 'etc');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowRight');
  await expect(first).toHaveAttribute('aria-expanded', 'true');
  // tabs move with arrow keys too
  await page.getByRole('tab', { name: 'Layer files' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Merged filesystem' })).toHaveAttribute('aria-selected', 'true');
});

test('path-traversal entries are flagged in the layer and left out of the merged view', async ({ page }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'docker-envs-traversal-'));
  try {
    const names = ['absolute1', 'relative2', 'dirsymlink'];
    const layers = await Promise.all(names.map(async (n) => ({
      layer: layerFromBlob(await openAsBlob(fixture(`conda/tests/data/tar_traversal/${n}.tar`)), { mediaType: MediaTypes.ociLayer }),
      history: { created_by: `layer from tar_traversal/${n}.tar` },
    })));
    const out = join(tmp, 'traversal.tar');
    await writeDockerArchiveTo([{ image: appendLayers(emptyImage(), layers), tags: ['docker-envs.test/traversal:1'] }],
      Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
    const summary = cli(out).images[0];
    await page.goto('/');
    await page.getByTestId('archive-input').setInputFiles(out);
    await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
    for (const [i, l] of summary.layers.entries()) {
      expect(l.dangerous, names[i]).toBeGreaterThan(0);
      await expect(page.getByTestId(`layer-entries-${i}`)).toContainText(`⚠ ${l.dangerous}`);
      await page.getByTestId('layer-select').selectOption(String(i));
      const rows = await collectTreeRows(page);
      expect(rows.filter((r) => r.text.includes('⚠')).length, names[i]).toBe(l.dangerous);
    }
    await page.getByRole('tab', { name: 'Merged filesystem' }).click();
    const merged = await collectTreeRows(page);
    expect(merged.every((r) => !r.path.startsWith('/') && !r.path.split('/').includes('..'))).toBe(true);
    expect(merged.map((r) => r.path)).toEqual(cli('--merged', out).images[0].merged.map((f: { path: string }) => f.path));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a file picked while another is still opening replaces it, and the page keeps working', async ({ page }) => {
  await page.goto('/');
  const first = fixture('trivy/pkg/fanal/test/testdata/alpine-310.tar.gz');
  const second = fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar');
  await page.getByTestId('archive-input').setInputFiles(first);
  await page.getByTestId('archive-input').setInputFiles(second);
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
  await expect(page.getByTestId('image-tags')).toHaveText(cli(second).images[0].tags.join(', '));
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await expect(page.getByTestId('image-tags')).toHaveText('docker-envs.example/sample:latest');
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
  // the replaced gzip-wrapped archive left no decompressed copy behind
  await expect.poll(() => page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('inspector-spill', { create: true });
    let n = 0;
    for await (const _ of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) n++;
    return n;
  })).toBe(0);
});

test('a gzip-wrapped save is decompressed into OPFS, and the file is removed when the next archive opens', async ({ page }) => {
  await page.goto('/');
  const spills = () => page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('inspector-spill', { create: true });
    const out: Array<[string, number]> = [];
    for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries()) out.push([name, (await h.getFile()).size]);
    return out;
  });
  const gz = fixture('trivy/pkg/fanal/test/testdata/alpine-310.tar.gz');
  await page.getByTestId('archive-input').setInputFiles(gz);
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed');
  await expect(page.locator('.archive-head')).toContainText('gzip-wrapped');
  const plainSize = Number(execFileSync('sh', ['-c', `gzip -dc '${gz}' | wc -c`], { encoding: 'utf8' }).trim());
  expect((await spills()).map(([, size]) => size)).toEqual([plainSize]);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await expect(page.getByTestId('image-tags')).toHaveText('docker-envs.example/sample:latest');
  await expect.poll(spills).toEqual([]);
});

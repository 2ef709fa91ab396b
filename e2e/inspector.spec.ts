/**
 * The inspector page in Chromium: fixture tarballs picked through the page's file input, checked
 * against `docker-envs inspect --json` (the CLI over the same core, run here in Node) and skopeo
 * (an independent reader of docker-archive / oci-archive); hostile files give a clear message and the
 * page keeps working; the sample builds and opens; a screenshot is kept for a look at the layout.
 */
import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { fixture, haveFixtures } from '../src/test-support/fixtures';

interface CliLayer { digest: string; diffId: string; entries: number; whiteouts: number }
interface CliImage { tags: string[]; configDigest: string; config: { config?: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[] }; rootfs: { diff_ids: string[] } }; layers: CliLayer[]; wastedBytes: number; efficiency: number }

function cliInspect(path: string): { images: CliImage[] } {
  return JSON.parse(execFileSync('node', ['bin/docker-envs.js', 'inspect', '--json', path], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

function skopeo(args: string[]): unknown {
  return JSON.parse(execFileSync('skopeo', ['--override-os', 'linux', ...args], { encoding: 'utf8' }));
}

async function openFile(page: Page, path: string): Promise<void> {
  await page.getByTestId('archive-input').setInputFiles(path);
  await expect(page.locator('body')).toHaveAttribute('data-inspector', /^(indexed|error)$/, { timeout: 30_000 });
}

/** Checks the shown image (tags, layers, counts, config) against the CLI's report of it. */
async function expectImage(page: Page, img: CliImage): Promise<void> {
  const tags = page.getByTestId('image-tags');
  await expect(tags).toHaveText(img.tags.length ? img.tags.join(', ') : '(untagged)');
  await expect(page.getByTestId('image-config-digest')).toHaveText(img.configDigest);
  await expect(page.locator('[data-testid^="layer-row-"]')).toHaveCount(img.layers.length);
  for (const [i, l] of img.layers.entries()) {
    await expect(page.getByTestId(`layer-digest-${i}`)).toHaveText(l.digest);
    await expect(page.getByTestId(`layer-diffid-${i}`)).toHaveText(l.diffId);
    await expect(page.getByTestId(`layer-entries-${i}`)).toContainText(l.entries.toLocaleString('en-US'));
  }
  const c = img.config.config ?? {};
  if (c.Env?.length) await expect(page.getByTestId('image-env').locator('li')).toHaveText(c.Env);
  if (c.Cmd?.length) await expect(page.getByTestId('image-cmd')).toHaveText(JSON.stringify(c.Cmd));
  if (c.Entrypoint?.length) await expect(page.getByTestId('image-entrypoint')).toHaveText(JSON.stringify(c.Entrypoint));
  await expect(page.getByTestId('efficiency')).toContainText(`${(img.efficiency * 100).toFixed(1)} %`);
}

const FIXTURES: Array<{ rel: string; skopeo?: string }> = [
  { rel: 'trivy/pkg/fanal/test/testdata/alpine-310.tar.gz' }, // skopeo rejects gzip-wrapped saves
  { rel: 'go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar', skopeo: 'docker-archive' },
  { rel: 'dive/.data/test-oci-zstd-image.tar', skopeo: 'oci-archive' },
  { rel: 'dive/.data/test-oci-gzip-image.tar', skopeo: 'oci-archive' },
  { rel: 'go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar', skopeo: 'docker-archive' },
  { rel: 'go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar', skopeo: 'docker-archive' },
];

test.describe('inspector on fixture archives', () => {
  test.skip(!haveFixtures, 'shared fixtures are absent');

  test('every fixture shows what the CLI and skopeo report', async ({ page }) => {
    test.setTimeout(120_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    for (const { rel, skopeo: transport } of FIXTURES) {
      const path = fixture(rel);
      await openFile(page, path);
      await expect(page.locator('body'), rel).toHaveAttribute('data-inspector', 'indexed');
      const cli = cliInspect(path);
      for (const [i, img] of cli.images.entries()) {
        if (cli.images.length > 1) await page.getByTestId(`image-tab-${i}`).click();
        await expectImage(page, img);
        if (transport) {
          const ref = `${transport}:${path}${transport === 'docker-archive' && cli.images.length > 1 ? `:@${i}` : ''}`;
          const config = skopeo(['inspect', '--config', ref]) as { rootfs: { diff_ids: string[] }; config?: { Env?: string[] } };
          for (const [j, d] of config.rootfs.diff_ids.entries()) await expect(page.getByTestId(`layer-diffid-${j}`)).toHaveText(d);
          if (transport === 'oci-archive') {
            const raw = skopeo(['inspect', '--raw', ref]) as { layers: Array<{ digest: string }> };
            for (const [j, l] of raw.layers.entries()) await expect(page.getByTestId(`layer-digest-${j}`)).toHaveText(l.digest);
          }
        }
      }
    }
    expect(errors).toEqual([]);
  });

  test('whiteouts show as deletions and the merged view drops the deleted file', async ({ page }) => {
    await page.goto('/');
    await openFile(page, fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar'));
    await page.getByTestId('layer-select').selectOption('1');
    const tree = page.getByTestId('file-tree');
    await expect(tree.locator('.tree-row.whiteout')).toHaveCount(1);
    await expect(tree.locator('.tree-row.whiteout')).toContainText('foo.txt');
    await expect(tree.locator('.tree-row.whiteout')).toContainText('deleted');
    await page.getByRole('tab', { name: 'Merged filesystem' }).click();
    const merged = page.getByTestId('file-tree');
    await expect(merged.locator('.tree-row').first()).toBeVisible();
    const paths = await merged.locator('.tree-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    expect(paths).not.toContain('foo.txt');
    const cli = JSON.parse(execFileSync('node', ['bin/docker-envs.js', 'inspect', '--json', '--merged', fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar')], { encoding: 'utf8' }));
    expect(paths).toEqual(cli.images[0].merged.map((f: { path: string }) => f.path));
  });
});

test('hostile and broken files give a clear message; the next file still opens', async ({ page }) => {
  test.skip(!haveFixtures, 'shared fixtures are absent');
  test.setTimeout(90_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const good = fixture('go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar');
  const bad: Array<{ name: string; buffer: Buffer; expect: RegExp; code: string }> = [
    { name: 'empty.tar', buffer: Buffer.alloc(0), expect: /empty/i, code: 'archive-empty' },
    { name: 'random.bin', buffer: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)), expect: /not an image archive|not a tar/i, code: 'archive-invalid' },
    { name: 'truncated.tar', buffer: (await import('node:fs')).readFileSync(good).subarray(0, 20_000), expect: /truncated|ends early/i, code: 'tar-truncated' },
    { name: 'corrupt.tar.gz', buffer: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(200, 0x55)]), expect: /gzip|compress|damaged/i, code: 'compression-corrupt' },
    { name: 'relative2.tar', buffer: (await import('node:fs')).readFileSync(fixture('conda/tests/data/tar_traversal/relative2.tar')), expect: /manifest\.json|not an image archive/i, code: 'archive-unsupported' },
    { name: 'null-manifest.tar', buffer: execFileSync('sh', ['-c', 'd=$(mktemp -d) && printf null > $d/manifest.json && tar -C $d -cf - manifest.json && rm -r $d']), expect: /manifest/i, code: 'archive-invalid' },
  ];
  for (const b of bad) {
    await page.getByTestId('archive-input').setInputFiles({ name: b.name, mimeType: 'application/x-tar', buffer: b.buffer });
    await expect(page.locator('body'), b.name).toHaveAttribute('data-inspector', 'error', { timeout: 20_000 });
    await expect(page.getByTestId('inspector-error'), b.name).toContainText(b.expect);
    // the CoreError code crossed the worker boundary (comlink transfer handler)
    await expect(page.getByTestId('inspector-error'), b.name).toHaveAttribute('data-code', b.code);
    await openFile(page, good);
    await expect(page.locator('body'), `after ${b.name}`).toHaveAttribute('data-inspector', 'indexed');
    await expect(page.getByTestId('inspector-error')).toHaveCount(0);
  }
  expect(errors).toEqual([]);
});

test('the built-in sample opens with conda packages, a download and raw members; screenshot', async ({ page }, info) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed', { timeout: 30_000 });
  const marks = await page.evaluate(() => ['inspector:layers-shown', 'inspector:indexed'].map((n) => performance.getEntriesByName(n, 'mark').length));
  expect(marks).toEqual([1, 1]);
  await expect(page.getByTestId('image-tags')).toHaveText('docker-envs.example/sample:latest');
  await page.screenshot({ path: info.outputPath('inspector-sample.png'), fullPage: true });
  await page.getByRole('tab', { name: 'Conda packages' }).click();
  await expect(page.getByTestId('conda-layer-1')).toContainText('zlib');
  await expect(page.getByTestId('conda-layer-1')).toContainText('3.12.7');
  await page.getByRole('tab', { name: 'Raw archive' }).click();
  await expect(page.getByTestId('raw-member')).toContainText('"RepoTags"');
  await page.getByRole('tab', { name: 'Largest files' }).click();
  const download = page.waitForEvent('download');
  await page.getByTestId('largest').getByRole('button', { name: 'download' }).first().click();
  const d = await download;
  expect(d.suggestedFilename()).toBe('libbig.so');
  const { statSync } = await import('node:fs');
  expect(statSync(await d.path()).size).toBe(310_000);
});

/**
 * A two-platform build in the Build view, in Chromium, through the app's proxy: the base is an OCI index of
 * linux/amd64 and linux/arm64 busybox in a real registry on loopback, the channel has `arch-marker` in
 * linux-64 and linux-aarch64 and a noarch script. The preview solves each platform with its subdir; the build
 * saves an archive with the same bytes as the CLI's `build --platform linux/amd64,linux/arm64` for the same
 * inputs, which the harness dockerd loads (its amd64 image runs with the linux-64 package); Push sends an
 * image index skopeo reads; Save again from the history writes the same bytes; the share link carries both
 * platforms and a lock for each, and a fresh browser context rebuilds the same bytes from it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { decodeShareLink } from '../src/state/share-link';
import { writeMultiPlatformChannel } from './conda-builder/multi-platform';
import { dockerEnv, haveDocker } from './harness/env';
import { fillBuildForm, pressBuild, sha256, startBuilderEnv, type BuilderEnv } from './support/builder-env';
import { opfsFile, savePickerTo } from './support/opfs-file';

const TAG = 'docker-envs.test/multi-form:1';
const EPOCH = '1700000000';
const PLATFORMS = 'linux/amd64,linux/arm64';

test.describe('a multi-platform build in the form', () => {
  test.describe.configure({ mode: 'serial' });
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let env: BuilderEnv;
  let channel: string;
  let cliSha: string;
  let shareUrl: string;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    channel = mkdtempSync(join(tmpdir(), 'multi-form-channel-'));
    await writeMultiPlatformChannel(channel);
    env = await startBuilderEnv({ multiPlatform: true, channel });
    cliSha = await env.cliBuild(['-i', TAG, '-p', 'arch-marker', '-p', 'hello-sh', '--platform', PLATFORMS], { SOURCE_DATE_EPOCH: EPOCH }, env.multiRef);
  });
  test.afterAll(async () => {
    if (haveDocker) spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    await env?.close();
    if (channel) rmSync(channel, { recursive: true, force: true });
  });

  /** Fills the form: the multi-platform base with arm64 added, the channel, both packages, tag and epoch. */
  const fillForm = (page: Page) => fillBuildForm(page, env, { base: env.multiRef!, alsoFor: ['linux/arm64'], specs: ['arch-marker', 'hello-sh'], tag: TAG, epoch: EPOCH });

  test('preview per platform; the archive equals the CLI\'s, loads in dockerd and runs; push sends an index; Save again', async ({ page }) => {
    test.setTimeout(420_000);
    await savePickerTo(page, 'multi.tar');
    await fillForm(page);
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const blocks = page.getByTestId('preview-platform');
    expect(await blocks.evaluateAll((els) => els.map((e) => e.getAttribute('data-platform')))).toEqual(['linux/amd64', 'linux/arm64']);
    await expect(blocks.nth(0).getByTestId('preview-summary')).toContainText('2 packages for linux-64');
    await expect(blocks.nth(1).getByTestId('preview-summary')).toContainText('2 packages for linux-aarch64');
    await expect(blocks.nth(1).getByTestId('preview-packages')).toContainText('arch-marker');
    const axe = await new AxeBuilder({ page }).include('section[aria-labelledby="base-image-title"]').include('[data-testid="preview"]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

    await pressBuild(page);
    const archive = await opfsFile(page, 'multi.tar');
    expect(sha256(archive)).toBe(cliSha);
    await expect(page.getByTestId('build-platforms').locator('li')).toHaveCount(2);
    const file = join(env.tmp, 'from-form.tar');
    writeFileSync(file, archive);
    const index = JSON.parse(execFileSync('tar', ['-xOf', file, 'index.json'], { encoding: 'utf8' })) as { manifests: Array<{ mediaType: string; digest: string }> };
    expect(index.manifests.map((m) => [m.mediaType, m.digest])).toEqual([['application/vnd.oci.image.index.v1+json', await page.getByTestId('build-digest').textContent()]]);

    if (haveDocker) {
      execFileSync('docker', ['load', '-i', file], { env: dockerEnv() });
      expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Architecture}}', TAG], { env: dockerEnv(), encoding: 'utf8' }).trim()).toBe('amd64');
      expect(execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c', 'cat /opt/conda/share/arch-marker; /opt/conda/bin/hello-sh'], { env: dockerEnv(), encoding: 'utf8' }))
        .toBe('linux-64\nhello from noarch\n');
    }

    const pushRef = `${env.regHost}/test/multi-pushed:1`;
    await page.getByTestId('push-ref').fill(pushRef);
    await page.getByTestId('push-button').click();
    await expect(page.getByTestId('push-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${pushRef}`]);
    const pushed = JSON.parse(raw.toString()) as { mediaType: string; manifests: Array<{ platform: { os: string; architecture: string } }> };
    expect(pushed.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(pushed.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    await expect(page.getByTestId('push-digest')).toHaveText(`sha256:${createHash('sha256').update(raw).digest('hex')}`);

    await page.getByTestId('share-copy').click();
    shareUrl = await page.getByTestId('share-url').inputValue();

    await page.reload();
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await expect(page.getByTestId('history-platforms')).toHaveText('linux/amd64, linux/arm64');
    await page.getByRole('button', { name: `Save ${TAG} again` }).click();
    await expect(page.getByTestId('save-again-done')).toBeVisible({ timeout: 120_000 });
    expect(sha256(await opfsFile(page, 'multi.tar'))).toBe(cliSha);
  });

  test('the share link carries both platforms and a lock for each; a fresh context rebuilds the same bytes', async ({ browser }) => {
    test.setTimeout(300_000);
    test.skip(!shareUrl, 'needs the link of the previous test');
    const link = decodeShareLink(new URL(shareUrl).hash);
    expect(link.platform).toBe(PLATFORMS);
    expect(link.locks?.map((l) => [l.subdir, l.packages.map((p) => `${p.name}/${p.subdir}`)])).toEqual([
      ['linux-64', ['arch-marker/linux-64', 'hello-sh/noarch']],
      ['linux-aarch64', ['arch-marker/linux-aarch64', 'hello-sh/noarch']],
    ]);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await savePickerTo(page, 'shared.tar');
      await page.goto(shareUrl);
      await expect(page.getByTestId('share-opened')).toContainText('2 shared locks (one per platform)');
      await expect(page.getByTestId('base-ref')).toHaveValue(`${env.multiRef!}@${link.base.digest!}`);
      await expect(page.getByTestId('platform-linux/arm64')).toBeChecked();
      await pressBuild(page);
      await expect(page.getByTestId('build-log')).toContainText("rebuilding the shared lock's");
      expect(sha256(await opfsFile(page, 'shared.tar'))).toBe(cliSha);
    } finally {
      await context.close();
    }
  });
});

/**
 * pip packages built in the browser: an environment.yml with conda packages (a stand-in python from a channel
 * served on loopback) and a `pip:` section naming a loopback PEP 691 index of wheels written by Python's
 * zipfile (e2e/harness/pip-index.ts), imported into the app's Build view and built by its workers, the index
 * and the wheels read through the app's proxy: the preview lists the pip packages, and the build gives the
 * same archive bytes as the CLI's `build --file` of that file, as does Save again from the history (the
 * wheels from the cache, the index not asked). Its share link carries the pip packages (covered by the lock's
 * sha256) and rebuilds the same bytes in a fresh context, taking the wheels from the link's lock without
 * resolving again. A two-platform build (linux/amd64 and linux/arm64 busybox, no glibc) resolves the section
 * for each platform (the pure wheels, fastadd's pure release among its binary ones) and writes the CLI's bytes
 * of `build --platform linux/amd64,linux/arm64`. On the Debian minbase base (glibc 2.36, pushed to the
 * registry) with the real python package (e2e/conda-builder/python.ts), the worker finds the base's glibc and
 * installs fastadd's cp311 manylinux_2_17 x86_64 wheel (a C extension gcc built), in the CLI's bytes; with the
 * harness dockerd the archive loads and the extension runs (`fastadd.add(2, 3)` prints 5).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { decodeShareLink } from '../src/state/share-link';
import { MAKE_WHEEL } from '../src/test-support/wheels';
import { PYTHON_STAND_IN, writeChannel } from './conda-builder/package';
import { writePythonChannel } from './conda-builder/python-channel';
import { FASTADD_X86_64, writeFastaddWheels } from './harness/binary-wheels';
import { debianBaseArchive } from './harness/debian';
import { dockerEnv, haveDocker } from './harness/env';
import { haveFixtures } from '../src/test-support/fixtures';
import { servePipIndex, type PipIndex } from './harness/pip-index';
import { sha256, startBuilderEnv, type BuilderEnv } from './support/builder-env';

const PY = '/usr/bin/python3';
const TAG = 'docker-envs.test/pip:1';
const EPOCH = '1700000000';
const haveGcc = spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/python3.11/Python.h');

test.describe('pip packages in a browser build', () => {
  test.describe.configure({ mode: 'serial' });
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  test.skip(spawnSync(PY, ['-c', 'import zipfile']).status !== 0, `${PY} is not installed`);
  let tmp: string;
  let index: PipIndex;
  let env: BuilderEnv;
  let yml: string;
  let cliSha: string;
  let shareUrl = '';

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    tmp = mkdtempSync(join(tmpdir(), 'build-pip-'));
    const wheels = join(tmp, 'wheels');
    mkdirSync(wheels);
    const make = (name: string, version: string, ...deps: string[]) => execFileSync(PY, ['-c', MAKE_WHEEL, wheels, name, version, 'ok', ...deps]);
    make('greetlib', '0.9');
    make('greetlib', '1.0');
    make('greeter', '1.0', 'greetlib');
    make('greeter', '2.0', 'greetlib>=1');
    if (haveGcc) writeFastaddWheels(wheels);
    index = await servePipIndex(wheels);
    await writeChannel(join(tmp, 'channel'), [{ ...PYTHON_STAND_IN, version: '3.11.4' }, { ...PYTHON_STAND_IN, version: '3.11.4', subdir: 'linux-aarch64' }]);
    env = await startBuilderEnv({ channel: join(tmp, 'channel'), allowHttp: [new URL(index.url).host], multiPlatform: true });
    yml = join(tmp, 'environment.yml');
    writeFileSync(yml, `channels:\n  - ${env.channelUrl}\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - greeter\n`);
    cliSha = await env.cliBuild(['-i', TAG, '--file', yml], { SOURCE_DATE_EPOCH: EPOCH });
  });
  test.afterAll(async () => {
    await env?.close();
    await index?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A page in a context of its own (fresh storage), saving builds through the download path. */
  async function freshPage(browser: Browser): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
    const context = await browser.newContext();
    await context.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors, close: () => context.close() };
  }

  /** Presses Build, waits for it and returns the sha256 of the downloaded archive. */
  async function buildAndSave(page: Page, name: string): Promise<string> {
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', /^(done|error)$/, { timeout: 180_000 });
    await expect(page.getByTestId('build-error')).toHaveCount(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('build-download').click()]);
    const out = join(tmp, name);
    await download.saveAs(out);
    return sha256(readFileSync(out));
  }

  test('an imported environment.yml with a pip section builds the CLI\'s bytes in Chromium', async ({ browser }) => {
    test.setTimeout(300_000);
    const { page, errors, close } = await freshPage(browser);
    await page.goto(env.app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('env-import').setInputFiles(yml);
    await expect(page.getByTestId('env-note')).toContainText('Imported environment.yml');
    await expect(page.getByTestId('cfg-pip')).toHaveValue(`--index-url ${index.url}\ngreeter`);
    await page.getByTestId('base-ref').fill(env.baseRef);
    await page.getByTestId('cfg-tag').fill(TAG);
    await page.getByTestId('cfg-epoch').fill(EPOCH);
    const pagesBefore = index.pages();
    // the preview resolves the pip list too
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    await expect(page.getByTestId('preview-error')).toHaveCount(0);
    expect(await page.getByTestId('preview-pip').locator('tbody tr').allInnerTexts()).toEqual(['greeter\t2.0\tgreeter-2.0-py3-none-any.whl', 'greetlib\t1.0\tgreetlib-1.0-py3-none-any.whl']);
    await expect(page.getByTestId('preview-summary')).toContainText('and 2 pip packages');
    // the browser asked the index itself (through the proxy)
    expect(index.pages()).toBeGreaterThan(pagesBefore);
    const downloadsBefore = index.downloads.get('greeter-2.0-py3-none-any.whl') ?? 0;
    expect(await buildAndSave(page, 'browser.tar')).toBe(cliSha);
    // and downloaded the wheels it resolved
    expect(index.downloads.get('greeter-2.0-py3-none-any.whl')).toBe(downloadsBefore + 1);
    await expect(page.getByTestId('build-log')).toContainText('pip: greeter for python 3.11.4');
    expect(errors).toEqual([]);

    await page.getByTestId('share-copy').click();
    shareUrl = await page.getByTestId('share-url').inputValue();

    // Save again from the history: the recorded lock's pip lines install the same wheels, from the cache
    const pages = index.pages();
    const downloads = index.downloads.get('greeter-2.0-py3-none-any.whl');
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await page.getByRole('button', { name: `Save ${TAG} again` }).click();
    await expect(page.getByTestId('save-again-done')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('save-again-error')).toHaveCount(0);
    const [again] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-again-done').getByRole('link', { name: 'Download the tar' }).click()]);
    await again.saveAs(join(tmp, 'again.tar'));
    expect(sha256(readFileSync(join(tmp, 'again.tar')))).toBe(cliSha);
    expect(index.pages()).toBe(pages);
    expect(index.downloads.get('greeter-2.0-py3-none-any.whl')).toBe(downloads);
    expect(errors).toEqual([]);
    await close();
  });

  test('the share link carries the pip packages and rebuilds the same bytes in a fresh context', async ({ browser }) => {
    test.setTimeout(300_000);
    test.skip(!shareUrl, 'needs the link of the previous test');
    const [lock] = decodeShareLink(new URL(shareUrl).hash).locks!;
    const files = (name: string) => `${index.url.replace(/simple\/$/, 'files/')}${name}`;
    expect(lock.wheels?.map((w) => [w.name, w.version, w.url])).toEqual([
      ['greeter', '2.0', files('greeter-2.0-py3-none-any.whl')], ['greetlib', '1.0', files('greetlib-1.0-py3-none-any.whl')],
    ]);
    expect(lock.wheels?.every((w) => /^[0-9a-f]{64}$/.test(w.sha256))).toBe(true);
    const { page, errors, close } = await freshPage(browser);
    await page.goto(shareUrl);
    await expect(page.getByTestId('share-opened')).toContainText('and 2 pip packages');
    await expect(page.getByTestId('cfg-pip')).toHaveValue(`--index-url ${index.url}\ngreeter`);
    const pagesBefore = index.pages();
    expect(await buildAndSave(page, 'shared.tar')).toBe(cliSha);
    // the wheels came from the link's lock: the index was not asked to resolve anything
    expect(index.pages()).toBe(pagesBefore);
    expect(errors).toEqual([]);
    await close();
  });

  test('a two-platform build with a pip section installs each platform\'s wheels and writes the CLI\'s bytes', async ({ browser }) => {
    test.setTimeout(420_000);
    test.skip(!haveGcc, 'gcc and libpython3.11-dev make the binary wheels');
    const tag = 'docker-envs.test/pip-multi:1';
    mkdirSync(join(tmp, 'multi'));
    const multiYml = join(tmp, 'multi', 'environment.yml');
    writeFileSync(multiYml, `channels:\n  - ${env.channelUrl}\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - greeter\n    - fastadd\n`);
    const multiSha = await env.cliBuild(['-i', tag, '--file', multiYml, '--platform', 'linux/amd64,linux/arm64'], { SOURCE_DATE_EPOCH: EPOCH }, env.multiRef);
    const { page, errors, close } = await freshPage(browser);
    await page.goto(env.app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('env-import').setInputFiles(multiYml);
    await expect(page.getByTestId('cfg-pip')).toHaveValue(`--index-url ${index.url}\ngreeter\nfastadd`);
    await page.getByTestId('base-ref').fill(env.multiRef!);
    await page.getByTestId('platform-linux/arm64').check();
    await page.getByTestId('cfg-tag').fill(tag);
    await page.getByTestId('cfg-epoch').fill(EPOCH);
    expect(await buildAndSave(page, 'multi.tar')).toBe(multiSha);
    await page.getByTestId('share-copy').click();
    // a lock per platform, each with the wheels resolved for it: busybox has no glibc, so fastadd's pure release
    const locks = decodeShareLink(new URL(await page.getByTestId('share-url').inputValue()).hash).locks!;
    const pure = ['fastadd-1.0-py3-none-any.whl', 'greeter-2.0-py3-none-any.whl', 'greetlib-1.0-py3-none-any.whl'];
    expect(locks.map((l) => [l.subdir, l.wheels?.map((w) => w.url.slice(w.url.lastIndexOf('/') + 1))])).toEqual([['linux-64', pure], ['linux-aarch64', pure]]);
    expect(errors).toEqual([]);
    await close();
  });

  test('on the Debian base with the real python, the worker installs the x86_64 binary wheel, in the CLI\'s bytes', async ({ browser }) => {
    test.setTimeout(600_000);
    test.skip(!haveGcc || !haveFixtures || !existsSync('/usr/sbin/debootstrap'), 'gcc, libpython3.11-dev, the fixtures and debootstrap make its inputs');
    const tag = 'docker-envs.test/pip-debian:1';
    // a second channel beside the stand-in's, in the folder the env serves: the real python package
    await writePythonChannel(join(tmp, 'channel', 'real'));
    const debianRef = `${env.regHost}/test/debian:1`;
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${await debianBaseArchive(tmp)}`, `docker://${debianRef}`]);
    mkdirSync(join(tmp, 'debian'));
    const debianYml = join(tmp, 'debian', 'environment.yml');
    writeFileSync(debianYml, `channels:\n  - ${env.channelUrl}real\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - fastadd\n`);
    const out = join(tmp, 'debian-cli.tar');
    await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', debianRef, '-i', tag, '--file', debianYml, '-o', out, '--cache', join(tmp, 'debian-cache')], { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH } });
    const { page, errors, close } = await freshPage(browser);
    await page.goto(env.app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('env-import').setInputFiles(debianYml);
    await expect(page.getByTestId('cfg-pip')).toHaveValue(`--index-url ${index.url}\nfastadd`);
    await page.getByTestId('base-ref').fill(debianRef);
    await page.getByTestId('cfg-tag').fill(tag);
    await page.getByTestId('cfg-epoch').fill(EPOCH);
    expect(await buildAndSave(page, 'debian.tar')).toBe(sha256(readFileSync(out)));
    await expect(page.getByTestId('build-log')).toContainText('pip: fastadd for python 3.11.2, glibc 2.36');
    await page.getByTestId('share-copy').click();
    const [lock] = decodeShareLink(new URL(await page.getByTestId('share-url').inputValue()).hash).locks!;
    expect(lock.wheels?.map((w) => w.url.slice(w.url.lastIndexOf('/') + 1))).toEqual([FASTADD_X86_64]);
    expect(errors).toEqual([]);
    await close();
    if (haveDocker) {
      execFileSync('docker', ['load', '-i', join(tmp, 'debian.tar')], { env: dockerEnv() });
      try {
        expect(execFileSync('docker', ['run', '--rm', '--network', 'none', tag, 'python', '-c', 'import fastadd; print(fastadd.add(2, 3), fastadd._native.__file__)'], { env: dockerEnv(), encoding: 'utf8' }))
          .toBe('5 /opt/conda/lib/python3.11/site-packages/fastadd/_native.cpython-311-x86_64-linux-gnu.so\n');
      } finally {
        spawnSync('docker', ['rmi', '-f', tag], { env: dockerEnv() });
      }
    }
  });
});

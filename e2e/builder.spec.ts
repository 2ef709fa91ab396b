/**
 * The Build view end to end in Chromium, through the app's proxy: a base image in a real registry on
 * loopback and the project's test channel served over loopback HTTP. The form is filled with the keyboard
 * alone, previewed, built and saved through the picker (an OPFS handle stands in for it) and through the
 * download path (no `showSaveFilePicker`); both tars equal the CLI's `build` of the same inputs byte for
 * byte (command and labels included), and the image runs in the real dockerd. A build cancelled mid-download leaves the next one working;
 * an exported environment.yml imports back into the same form; a pasted lock builds the same digest; a picked
 * tarball base with a local channel folder (through the directory picker) builds an image that runs. The whole
 * flow also runs with the keyboard alone (Tab, Enter, Escape, arrows; no clicks), every focus stop showing a
 * focus ring, from the view switch through a push (skopeo reads the digest shown) to a file of the built image
 * downloaded from the inspector's tree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buildTestChannel } from './conda-builder/build';
import { dockerEnv, haveDocker } from './harness/env';
import { freePort } from './harness/registry';
import { sha256, startBuilderEnv, type BuilderEnv } from './support/builder-env';
import { opfsFile, savePickerTo } from './support/opfs-file';

const TAG = 'docker-envs.test/form:1';
const EPOCH = '1700000000';
const CMD = '["hello-prefix"]';
const LABEL = 'org.example.built-by=form';

/** Where the focus is: whether it matches `selector` (and `text`, when given), and whether it can be seen. */
function focusAt({ selector, text }: { selector: string; text?: string }) {
  const el = document.activeElement as HTMLElement | null;
  if (!el || el === document.body) return { match: false, visible: true, name: 'BODY' };
  // the focus ring is the element's own outline, or (a file input hidden in a label styled as a button) its label's
  const ring = [el, el.closest('label')].filter((e): e is HTMLElement => !!e).some((e) => {
    const s = getComputedStyle(e);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1;
  });
  return { match: el.matches(selector) && (text === undefined || el.textContent?.trim() === text), visible: ring, name: `${el.tagName} ${el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30)}` };
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focus is on an element matching `selector` (and showing
 * `text`), in the page's own tab order. Every element the focus stops at on the way must show a focus ring.
 */
async function tabToElement(page: Page, target: { selector: string; text?: string }, back = false) {
  const unseen = new Set<string>();
  for (let i = 0; i < 80; i++) {
    const at = await page.evaluate(focusAt, target);
    if (!at.visible) unseen.add(at.name);
    if (at.match) {
      expect([...unseen], 'focused without a visible focus ring').toEqual([]);
      return;
    }
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  const at = await page.evaluate(focusAt, target);
  throw new Error(`${target.selector} ${target.text ?? ''} is not reachable with Tab (focus stays on ${at.name})`);
}

/** The values of the inputs with `testId`, in page order. */
const inputValues = (page: Page, testId: string) => page.getByTestId(testId).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));

/** Presses Tab until the element with `testId` has the focus (the page's own tab order), then types `text` over its value. */
async function tabTo(page: Page, testId: string, text?: string) {
  await tabToElement(page, { selector: `[data-testid="${testId}"]` });
  if (text !== undefined) {
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(text);
  }
}

test.describe('the builder form', () => {
  test.describe.configure({ mode: 'serial' });
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let env: BuilderEnv;
  let tmp: string;
  let regHost: string;
  let channelUrl: string;
  let app: BuilderEnv['app'];
  let cliSha: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    env = await startBuilderEnv();
    ({ tmp, regHost, channelUrl, app } = env);
    // the CLI's build of the same inputs
    cliSha = await env.cliBuild(['-i', TAG, '-p', 'hello-script', '-p', 'hello-elf', '--cmd', CMD, '--label', LABEL], { SOURCE_DATE_EPOCH: EPOCH });
  });
  test.afterAll(async () => {
    if (haveDocker) spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    await env?.close();
  });

  /** Opens the Build view and fills the form with the keyboard: base, channel, two packages, tag, epoch. */
  async function fillForm(page: Page) {
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).focus();
    await page.keyboard.press('Enter');
    await tabTo(page, 'base-ref', `${regHost}/test/busybox:1`);
    await tabTo(page, 'channel-input', channelUrl);
    await tabTo(page, 'spec-input', 'hello-script');
    await page.keyboard.press('Enter'); // a new row, focused
    await page.keyboard.type('hello-elf');
    await tabTo(page, 'cfg-cmd', CMD);
    await tabTo(page, 'cfg-labels', LABEL);
    await tabTo(page, 'cfg-tag', TAG);
    await tabTo(page, 'cfg-epoch', EPOCH);
  }

  test('keyboard fill, preview, build through the picker and the download path: the CLI\'s bytes, and it runs', async ({ page }) => {
    test.setTimeout(240_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await savePickerTo(page, 'picked.tar');
    await fillForm(page);
    // a malformed spec is flagged on its field before anything is fetched
    await expect(page.getByTestId('spec-error')).toHaveCount(0);
    await expect(page.getByTestId('form-invalid')).toHaveCount(0);

    await tabTo(page, 'preview-button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('preview-packages').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId('preview-packages')).toContainText('hello-script');
    await expect(page.getByTestId('layer-plan').locator('.bar')).toHaveCount(2);
    await expect(page.getByTestId('preview-storage')).toHaveAttribute('data-fits', 'true');
    await expect(page.getByTestId('preview-storage')).toContainText(/Needs about .+ of browser storage .+ available/);

    await tabTo(page, 'build-button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    await expect(page.getByTestId('build-warnings')).toContainText('hello-script-post-link.sh');
    const picked = await opfsFile(page, 'picked.tar');
    expect(sha256(picked)).toBe(cliSha);

    // without the picker: written into OPFS and offered as a download
    await page.evaluate(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-download')).toBeVisible({ timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('build-download').click()]);
    const downloaded = join(tmp, 'downloaded.tar');
    await download.saveAs(downloaded);
    expect(sha256(readFileSync(downloaded))).toBe(cliSha);

    // and the inspector opens what was built
    await page.getByTestId('open-inspector').click();
    await expect(page.getByText(TAG).first()).toBeVisible({ timeout: 30_000 });
    expect(errors).toEqual([]);

    test.skip(!haveDocker, 'no harness dockerd (DOCKER_HOST)');
    writeFileSync(join(tmp, 'picked.tar'), picked);
    execFileSync('docker', ['load', '-i', join(tmp, 'picked.tar')], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, 'sh', '-c', 'hello-prefix; hello-elf'], { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual(['installed at /opt/conda', 'compiled program sees /opt/conda/share/hello', '']);
    // the form's command runs by default (after activation), and its label is on the image
    expect(execFileSync('docker', ['run', '--rm', '--network', 'none', TAG], { env: dockerEnv(), encoding: 'utf8' })).toBe('installed at /opt/conda\n');
    expect(execFileSync('docker', ['inspect', '-f', '{{index .Config.Labels "org.example.built-by"}}', TAG], { env: dockerEnv(), encoding: 'utf8' }).trim()).toBe('form');
  });

  test('the preview warns when the build needs more than the browser\'s storage quota leaves', async ({ page }) => {
    test.setTimeout(120_000);
    // a browser with 1 kB left (Chromium ignores CDP's quota override for the estimate): the need is the real one
    await page.addInitScript(() => { navigator.storage.estimate = async () => ({ usage: 1_000_000, quota: 1_001_000 }); });
    await fillForm(page);
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    const storage = page.getByTestId('preview-storage');
    await expect(storage).toHaveAttribute('data-fits', 'false');
    await expect(storage).toHaveAttribute('role', 'alert');
    await expect(storage).toContainText(/This build needs about .+ of browser storage \(.+ of packages not cached yet, .+\) but only 1000 B is available/);
  });

  test('the whole flow with the keyboard alone: views, base, channels, packages, preview, build, both saves, push, the inspector\'s tabs and tree', async ({ page }) => {
    test.setTimeout(240_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await savePickerTo(page, 'keyboard.tar');
    await page.goto(app.url);
    await tabToElement(page, { selector: 'nav button', text: 'Build' });
    await page.keyboard.press('Enter');
    await tabTo(page, 'base-ref', `${regHost}/test/busybox:1`);
    // the credentials dialog opens, takes typing, and Escape closes it with nothing changed
    await tabToElement(page, { selector: 'button', text: 'Credentials…' });
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog', { name: 'Registry credentials' })).toBeVisible();
    await page.keyboard.type('someone');
    await expect(page.getByLabel('Username')).toHaveValue('someone');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Credentials…' })).toBeFocused();

    // channels: the default one removed, two added (the focus follows each change), reordered, the extra one removed
    await tabToElement(page, { selector: 'button[aria-label="Remove channel 1"]' });
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('channel-input')).toHaveCount(0);
    await expect(page.getByTestId('add-channel')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('channel-input')).toBeFocused();
    await page.keyboard.type('unused-channel');
    await tabTo(page, 'add-channel');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('channel-input').nth(1)).toBeFocused();
    await page.keyboard.type(channelUrl);
    await tabToElement(page, { selector: 'button[aria-label="Move channel 2 up"]' }, true);
    await page.keyboard.press('Enter');
    await expect.poll(() => inputValues(page, 'channel-input')).toEqual([channelUrl, 'unused-channel']);
    await expect(page.getByRole('button', { name: 'Move channel 1 down' })).toBeFocused();
    await tabToElement(page, { selector: 'button[aria-label="Remove channel 2"]' });
    await page.keyboard.press('Enter');
    await expect.poll(() => inputValues(page, 'channel-input')).toEqual([channelUrl]);

    // packages: Enter in a row opens the next; an empty extra row removed from the keyboard
    await tabTo(page, 'spec-input', 'hello-script');
    await page.keyboard.press('Enter');
    await page.keyboard.type('hello-elf');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('spec-input')).toHaveCount(3);
    await tabToElement(page, { selector: 'button[aria-label="Remove package 3"]' });
    await page.keyboard.press('Enter');
    await expect.poll(() => inputValues(page, 'spec-input')).toEqual(['hello-script', 'hello-elf']);
    await expect(page.getByTestId('spec-input').nth(1)).toBeFocused();
    await tabTo(page, 'cfg-cmd', CMD);
    await tabTo(page, 'cfg-labels', LABEL);
    await tabTo(page, 'cfg-tag', TAG);
    await tabTo(page, 'cfg-epoch', EPOCH);

    await tabTo(page, 'preview-button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('preview-packages').locator('tbody tr')).toHaveCount(2);

    // saved through the picker, then again as a download: both the CLI's bytes
    await tabTo(page, 'build-button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    expect(sha256(await opfsFile(page, 'keyboard.tar'))).toBe(cliSha);
    await page.evaluate(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await tabToElement(page, { selector: '[data-testid="build-button"]' }, true);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('build-download')).toBeVisible({ timeout: 120_000 });
    await tabTo(page, 'build-download');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const saved = join(tmp, 'keyboard-download.tar');
    await download.saveAs(saved);
    expect(sha256(readFileSync(saved))).toBe(cliSha);

    // pushed to the registry (Enter in the field submits), where skopeo reads the digest the page shows
    await tabTo(page, 'push-ref', `${regHost}/test/keyboard:1`);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('push-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${regHost}/test/keyboard:1`]);
    await expect(page.getByTestId('push-digest')).toHaveText(sha256(raw));

    // the inspector: its tabs with the arrow keys, the merged tree filtered, folded and a file downloaded with Enter
    await tabToElement(page, { selector: '[data-testid="open-inspector"]' }, true);
    await page.keyboard.press('Enter');
    await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed', { timeout: 30_000 });
    await tabToElement(page, { selector: '[role="tab"][aria-selected="true"]' });
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab', { name: 'Merged filesystem' })).toBeFocused();
    await expect(page.getByRole('tab', { name: 'Merged filesystem' })).toHaveAttribute('aria-selected', 'true');
    await tabToElement(page, { selector: '[role="tree"]' });
    const tree = page.getByRole('tree');
    const active = tree.locator('[aria-selected="true"]');
    await expect(active).toHaveAttribute('data-path', 'bin');
    await page.keyboard.press('ArrowLeft');
    await expect(active).toHaveAttribute('aria-expanded', 'false');
    await page.keyboard.press('ArrowDown');
    await expect(active).not.toHaveAttribute('data-path', /^bin\//);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowRight');
    await expect(active).toHaveAttribute('aria-expanded', 'true');
    // the filter box is just before the tree: the one match becomes the active row, and Enter downloads it
    await tabToElement(page, { selector: 'input[aria-label="Filter paths"]' }, true);
    await page.keyboard.type('bin/hello-prefix');
    await expect(page.getByTestId('tree-total')).toContainText('1 entry');
    await page.keyboard.press('Tab');
    await expect(tree).toBeFocused();
    await expect(active).toHaveAttribute('data-path', 'opt/conda/bin/hello-prefix');
    const [file] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(file.suggestedFilename()).toMatch(/^hello-prefix/); // Chromium may add an extension for the body's type
    const script = join(tmp, 'hello-prefix');
    await file.saveAs(script);
    expect(readFileSync(script, 'utf8')).toContain('/opt/conda');
    expect(errors).toEqual([]);
  });

  test('Cancel mid-download stops the build; the next build works', async ({ page, context }) => {
    test.setTimeout(180_000);
    // hold every package download until the build has been cancelled
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let seen = 0;
    await context.route(/\.conda$/, async (route) => { seen++; await held; await route.continue().catch(() => {}); });
    await fillForm(page);
    await page.evaluate(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await tabTo(page, 'build-button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('build-phase')).toHaveAttribute('data-phase', 'fetch', { timeout: 90_000 });
    await expect.poll(() => seen).toBeGreaterThan(0);
    // the page stays responsive while the build runs: typing works
    await page.getByTestId('cfg-variables').focus();
    await page.keyboard.type('GREETING=hi');
    await expect(page.getByTestId('cfg-variables')).toHaveValue('GREETING=hi');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await tabTo(page, 'build-cancel');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'cancelled');
    release();
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('build-download').click()]);
    const out = join(tmp, 'after-cancel.tar');
    await download.saveAs(out);
    expect(sha256(readFileSync(out))).toBe(cliSha);
  });

  test('environment.yml exported and imported gives the same form; a pasted lock builds the solve\'s digest', async ({ page }) => {
    test.setTimeout(180_000);
    await fillForm(page);
    await page.getByTestId('cfg-variables').fill('GREETING=hi');
    const [exported] = await Promise.all([page.waitForEvent('download'), page.getByTestId('env-export').click()]);
    const yml = join(tmp, 'environment.yml');
    await exported.saveAs(yml);
    const form = async () => ({
      channels: await page.getByTestId('channel-input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
      specs: await page.getByTestId('spec-input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
      variables: await page.getByTestId('cfg-variables').inputValue(),
    });
    const before = await form();
    expect(before).toEqual({ channels: [channelUrl], specs: ['hello-script', 'hello-elf'], variables: 'GREETING=hi' });
    // a fresh page (a fresh draft), then the import
    await page.reload();
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('env-import').setInputFiles(yml);
    await expect(page.getByTestId('env-note')).toContainText('Imported environment.yml');
    expect(await form()).toEqual(before);

    // the solve's lock, pasted, builds the digest the specs build
    await page.getByTestId('cfg-variables').fill('');
    await page.getByTestId('base-ref').fill(`${regHost}/test/busybox:1`);
    await page.getByTestId('cfg-tag').fill(TAG);
    await page.getByTestId('cfg-epoch').fill(EPOCH);
    await page.evaluate(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const solvedDigest = await page.getByTestId('build-digest').textContent();
    await page.getByRole('button', { name: 'Use this solve as the lock' }).click();
    const lock = await page.getByTestId('cfg-lock').inputValue();
    expect(lock).toMatch(/^@EXPLICIT$/m);
    expect(lock).toContain('hello-elf-1.0-0.conda#');
    // pasted into the emptied field, as a user pastes it
    await page.getByTestId('cfg-lock').fill('');
    await page.getByTestId('cfg-lock').focus();
    await page.keyboard.insertText(lock);
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'building');
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    expect(await page.getByTestId('build-digest').textContent()).toBe(solvedDigest);
  });

  test('malformed fields are flagged before any fetch; a channel the proxy refuses is flagged on its row with URL and status', async ({ page }) => {
    test.setTimeout(120_000);
    const proxied: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/proxy/')) proxied.push(r.url()); });
    await fillForm(page);
    // autocomplete from the channel's repodata: names, then the typed package's versions
    await page.getByTestId('spec-input').first().fill('hello-');
    await expect(page.locator('#spec-names option')).toHaveCount(3, { timeout: 30_000 });
    await expect(page.locator('#spec-names option[value="hello-py"]')).toHaveCount(1);
    await page.getByTestId('spec-input').first().fill('hello-script');
    await expect(page.locator('#spec-names option[value="hello-script=1.0"]')).toHaveCount(1, { timeout: 30_000 });
    proxied.length = 0;
    await page.getByTestId('spec-input').first().fill('a::b::c');
    await page.getByTestId('base-ref').fill('Not A Reference');
    await expect(page.getByTestId('spec-error')).toContainText('names more than one channel');
    await expect(page.getByTestId('base-error')).toContainText('invalid image reference');
    await expect(page.getByTestId('preview-button')).toBeDisabled();
    await expect(page.getByTestId('build-button')).toBeDisabled();
    await page.getByTestId('spec-input').first().fill('hello-script');
    await page.getByTestId('base-ref').fill(`${regHost}/test/busybox:1`);
    await expect(page.getByTestId('spec-error')).toHaveCount(0);
    // while fields were malformed, a registry was reached for tag autocomplete only: nothing was solved or fetched
    expect(proxied.filter((u) => !u.includes('/v2/'))).toEqual([]);

    // a second channel on a loopback port the proxy does not allow
    const refused = `http://127.0.0.1:${await freePort()}/refused-channel`;
    await page.getByTestId('add-channel').click();
    await page.getByTestId('channel-input').nth(1).fill(refused);
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'error', { timeout: 90_000 });
    const rowError = page.getByTestId('channel-input').nth(1).locator('xpath=..').getByTestId('channel-error');
    await expect(rowError).toContainText(refused);
    await expect(rowError).toContainText(/\b4\d\d\b/);
    await expect(page.getByTestId('channel-input').first().locator('xpath=..').getByTestId('channel-error')).toHaveCount(0);
  });

  test('a picked tarball base and a local channel folder (directory picker) build an image that runs', async ({ page }) => {
    test.setTimeout(180_000);
    // the channel's files, to be put in an OPFS folder that the directory picker stand-in returns
    const channel = await buildTestChannel();
    const files = readdirSync(channel, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      .map((e) => { const abs = join(e.parentPath, e.name); return { path: relative(channel, abs), base64: readFileSync(abs).toString('base64') }; });
    await page.addInitScript(() => {
      (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker =
        async () => (await navigator.storage.getDirectory()).getDirectoryHandle('hello-channel', { create: true });
    });
    await page.goto(app.url);
    await page.evaluate(async (list) => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('hello-channel', { create: true });
      for (const f of list) {
        const parts = f.path.split('/');
        let dir = root;
        for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create: true });
        const w = await (await dir.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
        await w.write(Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0)));
        await w.close();
      }
      delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    }, files);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-file').setInputFiles(join(tmp, 'src.tar'));
    await expect(page.getByText('Base: the tarball src.tar')).toBeVisible();
    await page.getByRole('button', { name: 'Remove channel 1' }).click();
    await page.getByRole('button', { name: 'Add a local channel folder…' }).click();
    await expect(page.getByTestId('channel-input')).toHaveValue('file:///hello-channel/');
    await page.getByTestId('spec-input').fill('hello-elf');
    await page.getByTestId('cfg-tag').fill('docker-envs.test/form-folder:1');
    await page.getByTestId('preview-button').click();
    await expect(page.getByTestId('preview')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
    await expect(page.getByTestId('preview-packages')).toContainText('hello-elf');
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('build-download').click()]);
    const out = join(tmp, 'folder.tar');
    await download.saveAs(out);
    test.skip(!haveDocker, 'no harness dockerd (DOCKER_HOST)');
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    try {
      const run = execFileSync('docker', ['run', '--rm', '--network', 'none', 'docker-envs.test/form-folder:1', 'hello-elf'], { env: dockerEnv(), encoding: 'utf8' });
      expect(run).toBe('compiled program sees /opt/conda/share/hello\n');
    } finally {
      spawnSync('docker', ['rmi', '-f', 'docker-envs.test/form-folder:1'], { env: dockerEnv() });
    }
  });
});

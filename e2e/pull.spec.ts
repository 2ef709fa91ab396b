/**
 * Pulling a base image in Chromium through the CORS proxy: a real registry on loopback, the app and the
 * proxy on one port (allowed to reach exactly that registry), the tar written through a stand-in for the
 * save picker (an OPFS file handle) and compared byte for byte with the CLI's pull of the same image.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { expect, test, type Page } from '@playwright/test';
import { createProxyApp, defaultProxyConfig } from '../proxy';
import { startServer } from '../src/serve';
import { readImageArchive, writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, layerFromFiles } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { busyboxRootfs } from './harness/busybox';
import { dockerEnv, haveDocker, registries, registryImages, tokenServerHost } from './harness/env';
import { freePort } from './harness/registry';
import { fixture, haveFixtures } from '../src/test-support/fixtures';

/** The save picker answers with an OPFS file, `picked.tar`. */
const pickIntoOpfs = (page: Page) => page.addInitScript(() => {
  (window as unknown as { showSaveFilePicker: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
    async () => (await navigator.storage.getDirectory()).getFileHandle('picked.tar', { create: true });
});

test.describe('base image pull in the browser', () => {
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let tmp: string;
  let reg: ChildProcess;
  let host: string;
  let app: { url: string; close(): Promise<void> };

  test.beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'pull-spec-'));
    host = `127.0.0.1:${await freePort()}`;
    writeFileSync(join(tmp, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/data\nhttp:\n  addr: ${host}\n`);
    reg = spawn('docker-registry', ['serve', join(tmp, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    const { path: rootfs } = await busyboxRootfs();
    const image = appendLayers(emptyImage(), [
      { layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } },
      { layer: layerFromFiles({ 'etc/motd': 'pulled in a browser\n' }), history: { created_by: 'motd' } },
    ]);
    const src = join(tmp, 'src.tar');
    await writeDockerArchiveTo([{ image, tags: ['x/y:1'] }], Writable.toWeb(createWriteStream(src)) as WritableStream<Uint8Array>);
    for (const tag of ['1', '2', 'latest']) execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${src}`, `docker://${host}/test/base:${tag}`]);
    // the app and the proxy on one port, the proxy allowed to reach exactly this registry
    const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [host] });
    app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': proxy } });
  });
  test.afterAll(async () => {
    await app?.close();
    reg?.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('saves the image through the picker, byte-identical to the CLI\'s pull, with tag autocomplete', async ({ page }) => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await pickIntoOpfs(page);
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-ref').fill(`${host}/test/base:1`);
    await expect(page.locator('#base-tags option')).toHaveCount(3);
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    // base64 rather than an array of numbers: the protocol carries megabytes of it far faster
    const base64 = await page.evaluate(async () => {
      const f = await (await (await navigator.storage.getDirectory()).getFileHandle('picked.tar')).getFile();
      const bytes = new Uint8Array(await f.arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    });
    const browserSha = createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');
    const cliOut = join(tmp, 'cli.tar');
    execFileSync('node', ['bin/docker-envs.js', 'pull', `${host}/test/base:1`, '-o', cliOut, '--cache', join(tmp, 'cache')]);
    expect(browserSha).toBe(createHash('sha256').update(readFileSync(cliOut)).digest('hex'));
    // every registry request went through the proxy on the app's own origin
    const off = requests.filter((u) => !u.startsWith(app.url));
    expect(off).toEqual([]);
    expect(requests.some((u) => u.includes(`/proxy/${host}/v2/test/base/blobs/`))).toBe(true);
  });

  test('a layer blob whose bytes differ from its digest fails the save with the mismatch, and nothing of it is cached or saved', async ({ page }) => {
    const manifest = await (await fetch(`http://${host}/v2/test/base/manifests/1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    })).json() as { layers: Array<{ digest: string; size: number }> };
    // the big layer (its hash is taken on a hashing worker): same length and same tar inside, one byte of the
    // gzip header changed (the OS field, which the decoder ignores), so only the blob's digest check can catch it
    const layer = manifest.layers.reduce((a, b) => (b.size > a.size ? b : a));
    expect(layer.size).toBeGreaterThan(1 << 20);
    await page.route(`**/blobs/${layer.digest}`, async (route) => {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      body[9] = body[9] === 3 ? 255 : 3;
      await route.fulfill({ response: res, body });
    });
    await pickIntoOpfs(page);
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-ref').fill(`${host}/test/base:1`);
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-error')).toContainText(`blob ${layer.digest} of ${host}/test/base does not match ${layer.digest}`, { timeout: 60_000 });
    const left = await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const names: string[] = [];
      const blobs = await root.getDirectoryHandle('blobs').then((b) => b.getDirectoryHandle('sha256')).catch(() => undefined);
      if (blobs) for await (const [name] of (blobs as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries()) names.push(name);
      const picked = await (await root.getFileHandle('picked.tar')).getFile();
      return { names, picked: picked.size };
    });
    // no cache entry of the layer, verified or not, and the picked file as it was before the save
    expect(left.names.filter((n) => n.startsWith(layer.digest.slice(7)))).toEqual([]);
    expect(left.picked).toBe(0);
  });

  test('a multi-member gzip layer (eStargz), which Chromium\'s native gunzip refuses, pulls with skopeo\'s diff_ids', async ({ page }) => {
    test.skip(!haveFixtures, 'the shared fixtures are absent');
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci-archive:${fixture('dive/.data/test-oci-estargz-image.tar')}`, `docker://${host}/test/estargz:1`]);
    await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-ref').fill(`${host}/test/estargz:1`);
    await page.getByTestId('base-platform').selectOption('linux/arm64'); // the fixture image is arm64
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-download')).toBeVisible({ timeout: 60_000 });
    const download = page.waitForEvent('download');
    await page.getByTestId('pull-download').click();
    const file = join(tmp, 'estargz.tar');
    await (await download).saveAs(file);
    const sk = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', '--override-arch', 'arm64', `docker://${host}/test/estargz:1`], { encoding: 'utf8' }));
    const image = (await readImageArchive(await openAsBlob(file))).images[0].image;
    expect(await Promise.all((await image.layers()).map((l) => l.diffId()))).toEqual(sk.rootfs.diff_ids);
  });

  test('without a picker, offers a download; a missing tag is a clear error and the form keeps working', async ({ page }) => {
    await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('base-ref').fill(`${host}/test/base:nope`);
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-error')).toContainText('MANIFEST_UNKNOWN');
    await page.getByTestId('base-ref').fill(`${host}/test/base:2`);
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-download')).toBeVisible({ timeout: 60_000 });
    const download = page.waitForEvent('download');
    await page.getByTestId('pull-download').click();
    const file = await (await download).path();
    expect(readFileSync(file).subarray(0, 100).toString()).toContain('blobs/');
  });

  test('typing in the image field while a save runs leaves the save running to the end', async ({ page }) => {
    test.setTimeout(120_000);
    // tag lookups answer late, so a lookup is still in flight when the next keystrokes replace it
    await page.route('**/tags/list**', async (route) => { await new Promise((r) => setTimeout(r, 300)); await route.continue().catch(() => {}); });
    // every blob download waits until the field has been typed in, so the save is surely still running then
    const { held, workers } = await startHeldSave(page, app.url, `${host}/test/base:1`);
    await expect(page.getByTestId('pull-status')).toHaveAttribute('data-state', 'pulling');
    const lookup = page.waitForRequest(/\/test\/other\/tags\/list/);
    await page.getByTestId('base-ref').fill(`${host}/test/other:1`);
    await lookup; // in flight: the next value replaces (and cancels) it
    await page.getByTestId('base-ref').fill(`${host}/test/base:2`);
    await expect(page.locator('#base-tags option')).toHaveCount(3);
    held.release();
    await expect(page.getByTestId('pull-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('save-image')).toBeEnabled();
    await expect(page.getByTestId('pull-download')).toBeVisible();
    // the cancelled lookup did stop its worker (a fresh one answered the next), the save's worker ran on
    expect(workers.started.filter((n) => n === 'registry').length).toBeGreaterThanOrEqual(2);
    expect(workers.closed).toContain('registry');
    expect(workers.started.filter((n) => n === 'build')).toHaveLength(1);
    expect(workers.closed).not.toContain('build');
  });

  test('a cancelled save settles, the button comes back, and the next save runs in a fresh worker', async ({ page }) => {
    test.setTimeout(120_000);
    const { held, workers } = await startHeldSave(page, app.url, `${host}/test/base:1`);
    await expect(page.getByTestId('save-image')).toBeDisabled();
    await page.getByTestId('save-cancel').click();
    await expect(page.getByTestId('pull-status')).toHaveAttribute('data-state', 'cancelled');
    await expect(page.getByTestId('save-image')).toBeEnabled();
    held.release();
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('pull-download')).toBeVisible();
    expect(workers.started.filter((n) => n === 'build')).toHaveLength(2);
    expect(workers.closed.filter((n) => n === 'build')).toHaveLength(1);
  });
});

/**
 * Opens the Build view (no save picker: the tar is offered as a download) and starts saving `ref` with every
 * blob download held; returns once the first blob was asked for, the save surely running.
 */
async function startHeldSave(page: Page, url: string, ref: string) {
  await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
  const held = await holdBlobs(page);
  const workers = trackWorkers(page);
  await page.goto(url);
  await page.getByRole('button', { name: 'Build' }).click();
  await page.getByTestId('base-ref').fill(ref);
  await page.getByTestId('save-image').click();
  await held.requested;
  return { held, workers };
}

/** Names (`registry`, `build`, …) of the workers the page started and of those that went. */
function trackWorkers(page: Page): { started: string[]; closed: string[] } {
  const started: string[] = [];
  const closed: string[] = [];
  page.on('worker', (w) => {
    const name = /([\w-]+)\.worker-[\w-]+\.js/.exec(w.url())?.[1] ?? w.url();
    started.push(name);
    w.on('close', () => closed.push(name));
  });
  return { started, closed };
}

/** Holds the page's blob downloads (workers' fetches included) until `release()`; `requested` resolves at the first. */
async function holdBlobs(page: Page): Promise<{ requested: Promise<void>; release(): void }> {
  let release!: () => void;
  let requested!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  const first = new Promise<void>((r) => { requested = r; });
  await page.route('**/blobs/**', async (route) => {
    requested();
    await released;
    // the request's worker may be gone by now (a cancelled save)
    await route.continue().catch(() => {});
  });
  return { requested: first, release };
}

test.describe('base image pull in the browser from the harness registries', () => {
  const env = process.env;
  const tokenHost = env.DOCKER_ENVS_REGISTRY_TOKEN;
  const tokenServer = env.DOCKER_ENVS_TOKEN_SERVER;
  test.skip(!tokenHost || !tokenServer || !env.DOCKER_ENVS_REGISTRY_TOKEN_USER, 'the registry harness is not running (npm test starts it)');
  let app: { url: string; close(): Promise<void> };
  test.beforeAll(async () => {
    // the proxy may reach exactly the token registry and its token service
    const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [tokenHost!, tokenServer!] });
    app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': proxy } });
  });
  test.afterAll(async () => { await app?.close(); });

  test('bearer-token registry: credentials from the dialog, token realm through the proxy, arm64 from an OCI index', async ({ page }) => {
    test.setTimeout(90_000);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Build' }).click();
    const ref = `${tokenHost}/test/busybox:index`;
    await page.getByTestId('base-ref').fill(ref);
    await page.getByTestId('base-platform').selectOption('linux/arm64');
    // without credentials the registry refuses
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-error')).toContainText(/401|UNAUTHORIZED|token/);
    await page.getByRole('button', { name: 'Credentials…' }).click();
    await page.getByLabel('Username').fill(env.DOCKER_ENVS_REGISTRY_TOKEN_USER!);
    await page.getByLabel('Password or token').fill(env.DOCKER_ENVS_REGISTRY_TOKEN_PASS!);
    await page.getByRole('button', { name: 'Use' }).click();
    await page.getByTestId('save-image').click();
    await expect(page.getByTestId('pull-download')).toBeVisible({ timeout: 60_000 });
    const digest = await page.getByTestId('pull-digest').textContent();
    const sk = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--override-arch', 'arm64',
      '--creds', `${env.DOCKER_ENVS_REGISTRY_TOKEN_USER}:${env.DOCKER_ENVS_REGISTRY_TOKEN_PASS}`, `docker://${ref}`], { encoding: 'utf8' }));
    const arm = sk.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === 'arm64');
    expect(digest).toBe(arm.digest);
    expect(requests.filter((u) => !u.startsWith(app.url))).toEqual([]);
    expect(requests.some((u) => u.includes(`/proxy/${tokenServer}/`))).toBe(true);
  });
});

/**
 * The registry-mode pulls are the longest tests here: with no beforeAll/afterAll in their describe, Playwright
 * schedules each on its own (a describe with such hooks gets its tests handed out in fixed batches). Their app
 * and proxy come from a worker-scoped fixture, their folder and loaded images from a per-test one.
 */
const modesTest = test.extend<{ pulled: { tmp: string; loaded: string[] } }, { modesApp: { url: string; close(): Promise<void> } }>({
  modesApp: [async ({}, use) => { // eslint-disable-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
    // the proxy may reach exactly the harness's registries and its token service
    const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [registries!.open.host, registries!.basic.host, registries!.token.host, tokenServerHost!] });
    const app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': proxy } });
    await use(app);
    await app.close();
  }, { scope: 'worker' }],
  pulled: async ({}, use) => { // eslint-disable-line no-empty-pattern -- as above
    const pulled = { tmp: mkdtempSync(join(tmpdir(), 'pull-modes-')), loaded: [] as string[] };
    await use(pulled);
    for (const t of pulled.loaded) spawnSync('docker', ['rmi', '-f', t], { env: dockerEnv() });
    rmSync(pulled.tmp, { recursive: true, force: true });
  },
});

modesTest.describe('every harness image from every registry mode, pulled in the browser through the proxy', () => {
  modesTest.skip(!registries || !tokenServerHost || !haveDocker, 'the registry harness and dockerd are not running (npm test starts them)');

  for (const mode of ['open', 'basic', 'token'] as const) {
    modesTest(`${mode} registry: v2s2, OCI, Docker list, OCI index, zstd and debian minbase, every platform`, async ({ page, modesApp: app, pulled: { tmp, loaded } }) => {
      modesTest.setTimeout(300_000);
      const reg = registries![mode];
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
      const skCreds = reg.creds ? ['--creds', `${reg.creds.user}:${reg.creds.password}`] : [];
      for (const [name, img] of Object.entries(registryImages)) {
        for (const platform of img.platforms) {
          const full = `${reg.host}/${img.ref}`;
          await page.goto(app.url);
          await page.getByRole('button', { name: 'Build' }).click();
          if (reg.creds) {
            await page.getByRole('button', { name: 'Credentials…' }).click();
            await page.getByLabel('Username').fill(reg.creds.user);
            await page.getByLabel('Password or token').fill(reg.creds.password);
            await page.getByRole('button', { name: 'Use' }).click();
          }
          await page.getByTestId('base-ref').fill(full);
          await page.getByTestId('base-platform').selectOption(platform);
          await page.getByTestId('save-image').click();
          await expect(page.getByTestId('pull-download'), `${name} ${platform}`).toBeVisible({ timeout: 120_000 });
          const download = page.waitForEvent('download');
          await page.getByTestId('pull-download').click();
          const file = join(tmp, `${mode}-${name}-${platform.replace(/\W/g, '_')}.tar`);
          await (await download).saveAs(file);
          // the tar holds uncompressed layers with skopeo's diff_ids and the registry's config bytes
          const [os, arch] = platform.split('/');
          const skConfig = execFileSync('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', '--override-os', os, '--override-arch', arch, ...skCreds, `docker://${full}`]);
          const archive = await readImageArchive(await openAsBlob(file));
          expect(archive.images).toHaveLength(1);
          const image = archive.images[0].image;
          expect(Buffer.from(await image.rawConfig()).equals(skConfig), `${name} ${platform}: config bytes`).toBe(true);
          const layers = await image.layers();
          expect(await Promise.all(layers.map((l) => l.diffId()))).toEqual(JSON.parse(skConfig.toString()).rootfs.diff_ids);
          expect(layers.every((l) => l.compression === 'none')).toBe(true);
          expect((await image.config()).architecture).toBe(arch);
          if (mode !== 'open') continue; // loading the same images three times proves nothing more
          const tag = `docker-envs.test/browser-${name.toLowerCase()}-${arch}:1`;
          const ref = execFileSync('docker', ['load', '-q', '-i', file], { env: dockerEnv(), encoding: 'utf8' }).trim().split(': ').pop()!;
          execFileSync('docker', ['tag', ref, tag], { env: dockerEnv() });
          loaded.push(ref, tag);
          expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Architecture}}', tag], { env: dockerEnv(), encoding: 'utf8' }).trim()).toBe(arch);
          if (arch === 'amd64') expect(execFileSync('docker', ['run', '--rm', '--network', 'none', tag, 'echo', 'runs'], { env: dockerEnv(), encoding: 'utf8' })).toBe('runs\n');
        }
      }
      // every request went to the app's own origin: registries and the token realm through the proxy
      expect(requests.filter((u) => !u.startsWith(app.url))).toEqual([]);
      expect(requests.some((u) => u.includes(`/proxy/${reg.host}/v2/`))).toBe(true);
      if (mode === 'token') expect(requests.some((u) => u.includes(`/proxy/${tokenServerHost}/`))).toBe(true);
    });
  }
});

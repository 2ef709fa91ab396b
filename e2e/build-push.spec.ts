/**
 * Push from the Build view, in Chromium through the app's proxy, to the harness's registries: an image built in
 * the browser is pushed to the open registry (behind a counting upstream, which records the bytes each request
 * sent), and to the htpasswd and token ones with the credentials dialog; the real dockerd pulls each and runs it. A second
 * push of the same image sends no blob bytes (the registry already has them: HEAD, then only the manifest).
 * Credentials refused, a host the proxy does not reach and a connection dropped mid-upload each give their
 * error, and the form pushes fine afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { dockerEnv, haveDocker, registries, tokenServerHost } from './harness/env';
import { clearFaults, startFaultUpstream, type FaultStats, type FaultUpstream } from './harness/fault-upstream';
import { freePort } from './harness/registry';
import { buildInApp, startBuilderEnv, type BuilderEnv } from './support/builder-env';

const TAG = 'docker-envs.test/pushed:1';
const EPOCH = '1700000000';

/** Blob body bytes the upstream received (uploads: PATCH/PUT under /blobs/uploads/). */
const uploadBytes = (s: FaultStats) => Object.entries(s.bytesIn).filter(([p]) => p.includes('/blobs/uploads/')).reduce((a, [, n]) => a + n, 0);

/** Types `ref` into the push form, presses Push and waits for it to settle; returns the state it settled in. */
async function pushTo(page: Page, ref: string): Promise<string> {
  await page.getByTestId('push-ref').fill(ref);
  const before = await page.getByTestId('push-status').getAttribute('data-submitted');
  await page.getByTestId('push-button').click();
  // this push, not the one before it (whose outcome is still shown until this one starts)
  await expect(page.getByTestId('push-status')).not.toHaveAttribute('data-submitted', before ?? '0');
  await expect(page.getByTestId('push-status')).toHaveAttribute('data-state', /^(done|error|cancelled)$/, { timeout: 120_000 });
  return (await page.getByTestId('push-status').getAttribute('data-state'))!;
}

/** Gives the push form `creds` through the credentials dialog. */
async function signIn(page: Page, creds: { user: string; password: string }) {
  await page.getByRole('button', { name: /^(Push credentials…|Pushing as )/ }).click();
  await page.getByLabel('Username').fill(creds.user);
  await page.getByLabel('Password or token').fill(creds.password);
  await page.getByRole('button', { name: 'Use' }).click();
}

/** The manifest digest skopeo reads at `ref`. */
function skopeoDigest(ref: string, creds?: { user: string; password: string }): string {
  const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', `${creds.user}:${creds.password}`] : []), `docker://${ref}`]);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** dockerd pulls `ref` (logging in with a private client config first when `creds`) and runs the packages' commands. */
function pullAndRun(ref: string, creds?: { user: string; password: string }) {
  const config = mkdtempSync(join(tmpdir(), 'docker-config-'));
  const docker = (args: string[], input?: string) => execFileSync('docker', ['--config', config, ...args], { env: dockerEnv(), encoding: 'utf8', timeout: 120_000, ...(input ? { input } : {}) });
  try {
    if (creds) docker(['login', '-u', creds.user, '--password-stdin', ref.split('/')[0]], creds.password);
    docker(['pull', '-q', ref]);
    expect(docker(['run', '--rm', '--network', 'none', ref, 'sh', '-c', 'hello-prefix; hello-elf']).split('\n'))
      .toEqual(['installed at /opt/conda', 'compiled program sees /opt/conda/share/hello', '']);
  } finally {
    spawnSync('docker', ['--config', config, 'rmi', '-f', ref], { env: dockerEnv() });
    rmSync(config, { recursive: true, force: true });
  }
}

test.describe('push from the Build view', () => {
  test.skip(!existsSync('/usr/bin/docker-registry') || !registries || !tokenServerHost, 'docker-registry or the registry harness is missing (npm test starts it)');
  let env: BuilderEnv;
  let counter: FaultUpstream;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    counter = await startFaultUpstream({ upstream: registries!.open.host });
    env = await startBuilderEnv({ allowHttp: [counter.host, registries!.basic.host, registries!.token.host, tokenServerHost!] });
  });
  test.afterAll(async () => {
    await env?.close();
    await counter?.stop();
  });

  test('a built image pushed to the open, htpasswd and token registries runs in dockerd; pushed again, no blob bytes go up; errors leave the form working', async ({ page, context }) => {
    test.setTimeout(300_000);
    await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    await buildInApp(page, env, TAG, EPOCH);

    // a malformed reference is flagged on the field, and Push waits for a good one
    await page.getByTestId('push-ref').fill('Not A Reference');
    await expect(page.getByTestId('push-ref-error')).toContainText('invalid image reference');
    await expect(page.getByTestId('push-button')).toBeDisabled();

    // a host the proxy does not reach: refused, with the proxy's reason
    const refused = `127.0.0.1:${await freePort()}`;
    expect(await pushTo(page, `${refused}/test/app-push:1`)).toBe('error');
    await expect(page.getByTestId('push-error')).toContainText('403');

    // the open registry, every request counted
    const open = `${counter.host}/test/app-push:1`;
    await clearFaults(counter.host);
    expect(await pushTo(page, open)).toBe('done');
    const first = Number(await page.getByTestId('push-result').getAttribute('data-uploaded-bytes'));
    expect(first).toBeGreaterThan(0);
    expect(uploadBytes(counter.stats)).toBe(first);
    const digest = await page.getByTestId('push-digest').textContent();
    expect(skopeoDigest(`${registries!.open.host}/test/app-push:1`)).toBe(digest);

    // again: every blob is there already, nothing but the manifest goes up
    await clearFaults(counter.host);
    expect(await pushTo(page, open)).toBe('done');
    await expect(page.getByTestId('push-result')).toHaveAttribute('data-uploaded-bytes', '0');
    expect(uploadBytes(counter.stats)).toBe(0);
    expect(counter.stats.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(counter.stats.requests.filter((r) => r.method === 'HEAD').length).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('push-digest').textContent()).toBe(digest);

    // a connection dropped mid-upload: the error, then the same push goes through
    await context.route(/\/blobs\/uploads\//, (route) => (route.request().method() === 'PATCH' ? route.abort('connectionreset') : route.continue()));
    expect(await pushTo(page, `${counter.host}/test/app-push-dropped:1`)).toBe('error');
    await expect(page.getByTestId('push-error')).toContainText(/upload of sha256:[0-9a-f]{64}/);
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    expect(await pushTo(page, `${counter.host}/test/app-push-dropped:1`)).toBe('done');

    // the htpasswd registry: refused without credentials, pushed with them from the dialog
    const basic = registries!.basic;
    const basicRef = `${basic.host}/test/app-push:1`;
    expect(await pushTo(page, basicRef)).toBe('error');
    await expect(page.getByTestId('push-error')).toContainText('wants a username and password');
    await signIn(page, basic.creds!);
    expect(await pushTo(page, basicRef)).toBe('done');
    expect(skopeoDigest(basicRef, basic.creds)).toBe(digest);

    // the token registry: a user who may only pull is refused, one who may push is not
    const { token, tokenReader } = registries!;
    const tokenRef = `${token.host}/test/app-push:1`;
    await signIn(page, tokenReader.creds!);
    expect(await pushTo(page, tokenRef)).toBe('error');
    await expect(page.getByTestId('push-error')).toContainText(/401|403|DENIED|UNAUTHORIZED/);
    await signIn(page, token.creds!);
    expect(await pushTo(page, tokenRef)).toBe('done');
    expect(skopeoDigest(tokenRef, token.creds)).toBe(digest);

    test.skip(!haveDocker, 'no harness dockerd (DOCKER_HOST)');
    pullAndRun(`${registries!.open.host}/test/app-push:1`);
    pullAndRun(basicRef, basic.creds);
    pullAndRun(tokenRef, token.creds);
  });
});

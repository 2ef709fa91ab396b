/**
 * What a Build view spec builds from, all on loopback: a real registry (Debian's docker-registry) holding the
 * busybox rootfs as `test/busybox:1`, the project's test channel served over HTTP, and the app with its proxy
 * allowed to reach them (and any `allowHttp` hosts more). With `faulty`, the registry and the channel are
 * reached through fault upstreams (e2e/harness/fault-upstream.ts) that can cut bodies mid-way and count what
 * they saw; the references and the channel URL then name the fault upstreams, for the browser and the CLI alike.
 * With `multiPlatform`, the registry also holds `test/busybox:multi`, an OCI index of linux/amd64 and
 * linux/arm64 busybox (the arm64 binary from Debian's busybox-static:arm64); `channel` serves another folder.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { expect, type Page } from '@playwright/test';
import { createProxyApp, defaultProxyConfig } from '../../proxy';
import { startServer } from '../../src/serve';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, type Image } from '../../src/core/image';
import { RegistryClient } from '../../src/core/registry/client';
import { pushIndex } from '../../src/core/registry/push';
import { MediaTypes } from '../../src/core/oci';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { buildTestChannel } from '../conda-builder/build';
import { busyboxRootfs } from '../harness/busybox';
import { busyboxArm64Rootfs } from '../harness/busybox-arm64';
import { startFaultUpstream, type FaultUpstream } from '../harness/fault-upstream';
import { freePort } from '../harness/registry';

/** A running builder environment; `close()` stops everything it started and removes its folder. */
export interface BuilderEnv {
  tmp: string;
  /** `host:port` the base is pulled from (the fault upstream's when faulty) */
  regHost: string;
  /** `${regHost}/test/busybox:1` */
  baseRef: string;
  /** with `multiPlatform`: `${regHost}/test/busybox:multi`, an OCI index of linux/amd64 and linux/arm64 */
  multiRef?: string;
  /** the channel's URL, with a trailing slash (the fault upstream's when faulty) */
  channelUrl: string;
  app: { url: string; close(): Promise<void> };
  faults?: { registry: FaultUpstream; channel: FaultUpstream };
  /** sha256 (`sha256:…`) of the file the CLI's `build` writes for these inputs; `args` after the base (baseRef unless given) and channel */
  cliBuild(args: string[], env?: Record<string, string>, base?: string): Promise<string>;
  close(): Promise<void>;
}

/** `sha256:<hex>` of bytes. */
export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Starts the registry, the channel, the fault upstreams (when `faulty`) and the app with its proxy. */
export async function startBuilderEnv(opts: { faulty?: boolean; allowHttp?: string[]; multiPlatform?: boolean; channel?: string } = {}): Promise<BuilderEnv> {
  const tmp = mkdtempSync(join(tmpdir(), 'builder-env-'));
  const stops: Array<() => Promise<void> | void> = [() => rmSync(tmp, { recursive: true, force: true })];
  const close = async () => { for (const s of stops.splice(0).reverse()) await s(); };
  try {
    const direct = `127.0.0.1:${await freePort()}`;
    writeFileSync(join(tmp, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/data\nhttp:\n  addr: ${direct}\n`);
    const reg: ChildProcess = spawn('docker-registry', ['serve', join(tmp, 'config.yml')], { stdio: 'ignore' });
    stops.push(() => { reg.kill(); });
    for (let i = 0; i < 100 && !(await fetch(`http://${direct}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    const { path: rootfs } = await busyboxRootfs();
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    const src = join(tmp, 'src.tar');
    await writeDockerArchiveTo([{ image, tags: ['x/busybox:1'] }], Writable.toWeb(createWriteStream(src)) as WritableStream<Uint8Array>);
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${src}`, `docker://${direct}/test/busybox:1`]);
    if (opts.multiPlatform) await pushMultiPlatformBusybox(`${direct}/test/busybox:multi`, image);
    const channel = await serveFolder(opts.channel ?? await buildTestChannel());
    stops.push(() => channel.close());
    let faults: BuilderEnv['faults'];
    if (opts.faulty) {
      faults = { registry: await startFaultUpstream({ upstream: direct }), channel: await startFaultUpstream({ upstream: hostOf(channel) }) };
      stops.push(() => faults!.registry.stop(), () => faults!.channel.stop());
    }
    const regHost = faults?.registry.host ?? direct;
    const channelHost = faults?.channel.host ?? hostOf(channel);
    const proxy = createProxyApp({ ...defaultProxyConfig(), allowHttp: [regHost, channelHost, ...(opts.allowHttp ?? [])] });
    const app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': proxy } });
    stops.push(() => app.close());
    const baseRef = `${regHost}/test/busybox:1`;
    const channelUrl = `http://${channelHost}/`;
    let n = 0;
    const cliBuild = async (args: string[], env: Record<string, string> = {}, base = baseRef) => {
      const out = join(tmp, `cli-${n++}.tar`);
      // async: the channel server and the fault upstreams answer from this process
      await promisify(execFile)('node', ['bin/docker-envs.js', 'build', '-b', base, '-c', channelUrl, ...args, '-o', out, '--cache', join(tmp, 'cache')], { env: { ...process.env, ...env } });
      return sha256(readFileSync(out));
    };
    return { tmp, regHost, baseRef, ...(opts.multiPlatform ? { multiRef: `${regHost}/test/busybox:multi` } : {}), channelUrl, app, ...(faults ? { faults } : {}), cliBuild, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Pushes an OCI index of `amd64` (the busybox image) and an arm64 busybox image of the same shape to `ref`. */
async function pushMultiPlatformBusybox(ref: string, amd64: Image): Promise<void> {
  const { path } = await busyboxArm64Rootfs();
  const arm64 = appendLayers(emptyImage({ platform: { os: 'linux', architecture: 'arm64' } }), [
    { layer: layerFromBlob(await openAsBlob(path), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } },
  ]);
  await pushIndex(new RegistryClient(), [{ image: amd64, platform: { os: 'linux', architecture: 'amd64' } }, { image: arm64, platform: { os: 'linux', architecture: 'arm64' } }], ref);
}

function hostOf(s: FolderServer): string { return s.base.replace('http://', '').replace(/\/$/, ''); }

/** What fillBuildForm types: the base (the env's baseRef unless given), platforms to add to the first, packages, tag and epoch. */
export interface BuildFormInput { base?: string; alsoFor?: string[]; specs?: string[]; tag: string; epoch: string }

/** Opens the app's Build view and fills the form: the base, the env's channel, the packages (hello-script and hello-elf unless given), tag and epoch. */
export async function fillBuildForm(page: Page, env: BuilderEnv, input: BuildFormInput): Promise<void> {
  await page.goto(env.app.url);
  await page.getByRole('button', { name: 'Build' }).click();
  await page.getByTestId('base-ref').fill(input.base ?? env.baseRef);
  for (const p of input.alsoFor ?? []) await page.getByTestId(`platform-${p}`).check();
  await page.getByTestId('channel-input').fill(env.channelUrl);
  for (const [i, spec] of (input.specs ?? ['hello-script', 'hello-elf']).entries()) {
    if (i > 0) await page.getByTestId('spec-input').nth(i - 1).press('Enter');
    await page.getByTestId('spec-input').nth(i).fill(spec);
  }
  await page.getByTestId('cfg-tag').fill(input.tag);
  await page.getByTestId('cfg-epoch').fill(input.epoch);
}

/** Presses Build and waits for it to end; throws with the build's error if it failed. */
export async function pressBuild(page: Page): Promise<void> {
  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', /^(done|error)$/, { timeout: 180_000 });
  if (await page.getByTestId('build-error').count()) throw new Error(`the build failed: ${await page.getByTestId('build-error').textContent()}`);
}

/**
 * Opens the app's Build view, fills the form (the env's base and channel, hello-script and hello-elf, `tag`
 * and `epoch`), presses Build and waits for it to end; throws with the build's error if it failed.
 */
export async function buildInApp(page: Page, env: BuilderEnv, tag: string, epoch: string): Promise<void> {
  await fillBuildForm(page, env, { tag, epoch });
  await pressBuild(page);
}

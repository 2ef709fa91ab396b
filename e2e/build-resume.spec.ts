/**
 * A build in Chromium, through the app's proxy, whose downloads are cut mid-body: the registry and the channel
 * sit behind fault upstreams that send half of each package file and of the base's layer blob, then drop the
 * connection. The build resumes each with a Range request and the saved tar equals the CLI's `build` of the same
 * inputs byte for byte, loads in the real dockerd and runs. The fault upstreams' logs show that every cut
 * happened and was followed by a ranged request from the byte reached, so the check cannot pass without them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dockerEnv, haveDocker } from './harness/env';
import { clearFaults, type FaultStats } from './harness/fault-upstream';
import { buildInApp, startBuilderEnv, sha256, type BuilderEnv } from './support/builder-env';
import { opfsFile } from './support/opfs-file';

const TAG = 'docker-envs.test/resumed:1';
const EPOCH = '1700000000';
/** the package files the build downloads (the test channel's linux-64 builds) */
const PACKAGES = ['hello-script-1.0-0.conda', 'hello-elf-1.0-0.conda'];

/**
 * The GET requests for `path`: the first was cut by the fault upstream, the second (not cut) completed the
 * download; with `ranged`, the second asked for the rest with a Range from the byte reached. (A body so small
 * that the cut loses it all in flight is asked for again from the start: hence `ranged` only for files of
 * several chunks.)
 */
function expectResumed(stats: FaultStats, path: string, ranged: boolean) {
  const reqs = stats.requests.filter((r) => r.method === 'GET' && r.path.endsWith(path));
  expect(reqs.map((r) => ({ fault: r.fault, range: r.range })), `requests for ${path}`).toHaveLength(2);
  expect(reqs[0], `first request for ${path}`).toMatchObject({ fault: 'reset' });
  expect(reqs[0].range, `first request for ${path}`).toBeUndefined();
  expect(reqs[1].fault, `second request for ${path}`).toBeUndefined();
  if (!ranged && reqs[1].range === undefined) return;
  const from = Number(/^bytes=(\d+)-$/.exec(reqs[1].range ?? '')?.[1]);
  expect(from, `resumed request for ${path}: ${reqs[1].range}`).toBeGreaterThan(0);
}

test.describe('a build whose downloads are cut mid-body', () => {
  test.skip(!existsSync('/usr/bin/docker-registry'), 'docker-registry (Debian) is not installed');
  let env: BuilderEnv;
  let cliSha: string;
  let layerDigest: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    env = await startBuilderEnv({ faulty: true });
    // the CLI's build of the same inputs, with nothing cut
    cliSha = await env.cliBuild(['-i', TAG, '-p', 'hello-script', '-p', 'hello-elf'], { SOURCE_DATE_EPOCH: EPOCH });
    const manifest = await (await fetch(`http://${env.regHost}/v2/test/busybox/manifests/1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    })).json() as { layers: Array<{ digest: string }> };
    expect(manifest.layers).toHaveLength(1);
    layerDigest = manifest.layers[0].digest;
  });
  test.afterAll(async () => {
    await env?.close();
    if (haveDocker) spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
  });

  test('every package and the base layer are cut once and resumed with Range; the CLI\'s bytes, and it runs', async ({ page }) => {
    test.setTimeout(240_000);
    const { faults } = env;
    await clearFaults(faults!.registry.host);
    await clearFaults(faults!.channel.host);
    // the first request for each package and for the layer blob stalls after half its body, then is cut (the
    // stall lets the half reach the worker's reader even when it is busy, so the resume has bytes to go on from)
    const holdMs = 1500;
    faults!.channel.setFaults(PACKAGES.map((p) => ({ path: `/${p}`, method: 'GET', kind: 'reset' as const, holdMs })));
    faults!.registry.setFaults([{ path: `/blobs/${layerDigest}`, method: 'GET', kind: 'reset', holdMs }]);
    await page.addInitScript(() => {
      (window as unknown as { showSaveFilePicker?: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
        async () => (await navigator.storage.getDirectory()).getFileHandle('resumed.tar', { create: true });
    });
    await buildInApp(page, env, TAG, EPOCH);
    const saved = await opfsFile(page, 'resumed.tar');
    expect(sha256(saved)).toBe(cliSha);

    // the cuts happened, and each download went on from where it was cut
    // (hello-script is ~1 KB, one chunk; hello-elf ~290 KB and the layer ~2 MB arrive in many)
    expectResumed(faults!.channel.stats, `/${PACKAGES[0]}`, false);
    expectResumed(faults!.channel.stats, `/${PACKAGES[1]}`, true);
    expectResumed(faults!.registry.stats, `/blobs/${layerDigest}`, true);
    expect(faults!.registry.stats.requests.find((r) => r.range)?.status).toBe(206);

    test.skip(!haveDocker, 'no harness dockerd (DOCKER_HOST)');
    const file = join(env.tmp, 'resumed.tar');
    writeFileSync(file, saved);
    execFileSync('docker', ['load', '-i', file], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, 'sh', '-c', 'hello-prefix; hello-elf'], { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual(['installed at /opt/conda', 'compiled program sees /opt/conda/share/hello', '']);
  });
});

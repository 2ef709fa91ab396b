/**
 * buildDockerEnvironment (the Node library entry) with several platforms: the base is a multi-platform archive
 * (an OCI index of linux/amd64 and linux/arm64 busybox, written by the project's writer), the channel a folder
 * with `arch-marker` in linux-64 and linux-aarch64 and a noarch script. Each platform is solved for its subdir,
 * the archive written to `outputFilename` has the same bytes as the CLI's `build --platform` of the same inputs,
 * and dockerd loads it and runs its amd64 image.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { appendLayers, buildDockerEnvironment, emptyImage, layerFromBlob, MediaTypes, validate, type DockerEnvironment, type Platform } from '../../src/core/index.node';
import { writeDockerArchiveToFile } from '../../src/core/archive/file.node';
import { writeMultiPlatformChannel } from '../conda-builder/multi-platform';
import { busyboxArm64Rootfs } from '../harness/busybox-arm64';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/library-multi:1';
const EPOCH = 1700000000;
const PLATFORMS: Platform[] = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.skipIf(!haveDocker || !busyboxRootfsTar)('buildDockerEnvironment with several platforms', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'library-multi-'));
  const channel = join(tmp, 'channel');
  const base = join(tmp, 'base.tar');
  const out = join(tmp, 'library.tar');
  const saved = process.env.XDG_CACHE_HOME;
  let env: DockerEnvironment;

  beforeAll(async () => {
    // the library's cache folder goes to the test's folder, not the user's
    process.env.XDG_CACHE_HOME = join(tmp, 'xdg');
    await writeMultiPlatformChannel(channel);
    const arm64 = await busyboxArm64Rootfs();
    const imageOf = async (rootfs: string, platform: Platform) => ({
      image: appendLayers(emptyImage({ platform }), [{ layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]),
      platform,
    });
    await writeDockerArchiveToFile([{ platforms: [await imageOf(busyboxRootfsTar!, PLATFORMS[0]), await imageOf(arm64.path, PLATFORMS[1])], tags: ['x/busybox:multi'] }], base);
    env = await buildDockerEnvironment({
      baseImage: base, outputImage: TAG, packages: ['arch-marker', 'hello-sh'], channels: [channel], platforms: PLATFORMS, epoch: EPOCH, outputFilename: out,
    });
  }, 300_000);
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('solves each platform for its subdir; each image is valid and holds that platform\'s package', async () => {
    expect(env.platforms?.map((p) => [`${p.platform.os}/${p.platform.architecture}`, p.subdir, p.solved.map((r) => `${r.name}/${r.subdir}`)])).toEqual([
      ['linux/amd64', 'linux-64', ['arch-marker/linux-64', 'hello-sh/noarch']],
      ['linux/arm64', 'linux-aarch64', ['arch-marker/linux-aarch64', 'hello-sh/noarch']],
    ]);
    for (const p of env.platforms!) {
      await validate(p.image);
      expect((await p.image.config()).architecture).toBe(p.platform.architecture);
    }
    expect(env.image).toBe(env.platforms![0].image);
  });

  it('writes the same archive bytes as the CLI\'s build --platform', async () => {
    const cliOut = join(tmp, 'cli.tar');
    const before = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = String(EPOCH);
    let err = '';
    try {
      const code = await main(['build', '-b', base, '-i', TAG, '-p', 'arch-marker', '-p', 'hello-sh', '-c', channel, '--platform', 'linux/amd64,linux/arm64',
        '-o', cliOut, '--cache', join(tmp, 'cli-cache')], { write: () => true }, { write: (s: string) => { err += s; return true; } });
      expect(err).not.toMatch(/error/);
      expect(code).toBe(0);
    } finally {
      if (before === undefined) delete process.env.SOURCE_DATE_EPOCH; else process.env.SOURCE_DATE_EPOCH = before;
    }
    expect(sha(out)).toBe(sha(cliOut));
  }, 300_000);

  it('dockerd loads the archive and runs its amd64 image with the linux-64 package', () => {
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    expect(execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c', 'cat /opt/conda/share/arch-marker; /opt/conda/bin/hello-sh'], { env: dockerEnv(), encoding: 'utf8' }))
      .toBe('linux-64\nhello from noarch\n');
  }, 120_000);
});

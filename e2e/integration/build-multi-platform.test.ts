/**
 * `docker-envs build --platform linux/amd64,linux/arm64` on the harness's multi-platform busybox (an OCI index):
 * each platform is solved with its own conda subdir (a marker file and a real static program, hello-asm, that
 * differ between linux-64 and linux-aarch64, and a noarch script), `inspect --platform` picks each platform's
 * image from the archive, the archive loads in dockerd and its amd64 image runs, the pushed image index lists
 * both platforms (skopeo), and dockerd pulls each platform's image with that platform's packages. dockerd has no emulator, so the arm64 image is read with `docker create` +
 * `docker cp`: its hello-asm is the channel's aarch64 ELF (e_machine 183) and runs under Debian's qemu-aarch64,
 * called by name. Two builds give the same bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWithEnv } from '../../src/test-support/cli';
import { HELLO_ASM_PATH, helloAsmOutput, writeMultiPlatformChannel } from '../conda-builder/multi-platform';
import { dockerEnv, haveDocker, registries, registryImages } from '../harness/env';

const TAG = 'docker-envs.test/multi-platform:1';

const cli = (...args: string[]) => runCliWithEnv({ SOURCE_DATE_EPOCH: '1700000000' }, ...args);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const docker = (...args: string[]) => execFileSync('docker', args, { env: dockerEnv(), encoding: 'utf8' });
/** One member of a tar, by name (the tar CLI reads the archive). */
const member = (tar: string, name: string) => execFileSync('tar', ['-xOf', tar, name], { encoding: 'utf8' });

interface Built { digest: string; platforms: Array<{ platform: string; subdir: string; digest: string; id: string; packages: number }>; pushed?: string }

describe.skipIf(!haveDocker || !registries || !registryImages.busyboxIndex)('a two-platform build from a multi-platform base', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'multi-platform-'));
  const channel = join(tmp, 'channel');
  const out = join(tmp, 'multi.tar');
  let built: Built;
  let host: string;
  let pushRef: string;
  let programs: Awaited<ReturnType<typeof writeMultiPlatformChannel>>['helloAsm'];
  beforeAll(async () => {
    programs = (await writeMultiPlatformChannel(channel)).helloAsm;
    host = registries!.open.host;
    pushRef = `${host}/multi-platform/env:1`;
    const r = await cli('build', '-b', `${host}/${registryImages.busyboxIndex.ref}`, '-i', TAG, '-p', 'arch-marker', '-p', 'hello-asm', '-p', 'hello-sh', '-c', channel,
      '--platform', 'linux/amd64,linux/arm64', '-o', out, '--push', pushRef, '--cache', join(tmp, 'cache'), '--json');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    built = JSON.parse(r.out) as Built;
  }, 300_000);
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', TAG, pushRef], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('solves each platform with its subdir; the archive holds an index of both and manifest.json the first, tagged', () => {
    expect(built.platforms.map((p) => [p.platform, p.subdir, p.packages])).toEqual([['linux/amd64', 'linux-64', 3], ['linux/arm64', 'linux-aarch64', 3]]);
    const top = JSON.parse(member(out, 'index.json')) as { manifests: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }> };
    expect(top.manifests).toEqual([expect.objectContaining({
      mediaType: 'application/vnd.oci.image.index.v1+json', digest: built.digest,
      annotations: { 'io.containerd.image.name': TAG, 'org.opencontainers.image.ref.name': '1' },
    })]);
    const nested = JSON.parse(member(out, `blobs/sha256/${built.digest.slice(7)}`)) as { manifests: Array<{ digest: string; platform: unknown }> };
    // each platform's manifest names the config of the image built for it
    const configOf = (d: string) => (JSON.parse(member(out, `blobs/sha256/${d.slice(7)}`)) as { config: { digest: string } }).config.digest;
    expect(nested.manifests.map((m) => [configOf(m.digest), m.platform])).toEqual([
      [built.platforms[0].id, { architecture: 'amd64', os: 'linux' }],
      [built.platforms[1].id, { architecture: 'arm64', os: 'linux' }],
    ]);
    expect(built.platforms[0].id).not.toBe(built.platforms[1].id);
    const manifestJson = JSON.parse(member(out, 'manifest.json')) as Array<{ Config: string; RepoTags: string[] }>;
    expect(manifestJson.map((m) => [m.Config, m.RepoTags])).toEqual([[`blobs/sha256/${built.platforms[0].id.slice(7)}`, [TAG]]]);
  });

  it('inspect --platform picks each platform\'s image from the archive (linux/amd64 without it)', async () => {
    const ids = async (...extra: string[]) => {
      const r = await cli('inspect', out, '--json', ...extra);
      expect(r.code).toBe(0);
      return (JSON.parse(r.out) as { images: Array<{ configDigest: string }> }).images.map((i) => i.configDigest);
    };
    expect(await ids('--platform', 'linux/arm64')).toEqual([built.platforms[1].id]);
    expect(await ids('--platform', 'linux/amd64')).toEqual([built.platforms[0].id]);
    expect(await ids()).toEqual([built.platforms[0].id]);
  });

  it('docker load reads it and the amd64 image runs with the linux-64 packages and the noarch one', () => {
    docker('load', '-i', out);
    expect(docker('image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', TAG).trim()).toBe(`${built.platforms[0].id} amd64`);
    expect(docker('run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c', `cat /opt/conda/share/arch-marker; /opt/conda/${HELLO_ASM_PATH}; /opt/conda/bin/hello-sh`))
      .toBe(`linux-64\n${helloAsmOutput('linux-64')}hello from noarch\n`);
  }, 120_000);

  it('the pushed image index lists both platforms (skopeo), and docker pulls each with its own packages', () => {
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${pushRef}`], { encoding: 'utf8' })) as {
      mediaType: string; manifests: Array<{ digest: string; platform: { os: string; architecture: string } }>;
    };
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(raw.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(`sha256:${createHash('sha256').update(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${pushRef}`])).digest('hex')}`).toBe(built.pushed);

    // arm64: pulled, its config says arm64 and is the one built; its files are read without running it
    docker('pull', '-q', '--platform', 'linux/arm64', pushRef);
    expect(docker('image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', pushRef).trim()).toBe(`${built.platforms[1].id} arm64`);
    const ctr = docker('create', '--platform', 'linux/arm64', pushRef).trim();
    const fromImage = (path: string) => execFileSync('tar', ['-xO'], { input: execFileSync('docker', ['cp', `${ctr}:${path}`, '-'], { env: dockerEnv() }) });
    try {
      expect(fromImage('/opt/conda/share/arch-marker').toString()).toBe('linux-aarch64\n');
      // the arm64 image's program: the channel's linux-aarch64 build, an aarch64 ELF that runs under qemu-aarch64
      const elf = fromImage(`/opt/conda/${HELLO_ASM_PATH}`);
      expect(Buffer.compare(elf, programs['linux-aarch64'])).toBe(0);
      expect([elf.subarray(0, 4).toString('latin1'), elf[4], elf[5], elf.readUInt16LE(18)]).toEqual(['\x7fELF', 2, 1, 183]);
      const local = join(tmp, 'hello-asm-arm64');
      writeFileSync(local, elf);
      chmodSync(local, 0o755);
      expect(execFileSync('qemu-aarch64', [local], { encoding: 'utf8' })).toBe(helloAsmOutput('linux-aarch64'));
    } finally {
      docker('rm', '-f', ctr);
    }
    // amd64: pulled and run
    docker('pull', '-q', '--platform', 'linux/amd64', pushRef);
    expect(docker('image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', pushRef).trim()).toBe(`${built.platforms[0].id} amd64`);
    expect(docker('run', '--rm', '--network', 'none', '--platform', 'linux/amd64', pushRef, '/bin/sh', '-c', `cat /opt/conda/share/arch-marker; /opt/conda/${HELLO_ASM_PATH}`))
      .toBe(`linux-64\n${helloAsmOutput('linux-64')}`);
  }, 120_000);

  it('a base that lacks one of the platforms: exit 1 naming it, no archive', async () => {
    const bad = join(tmp, 'bad.tar');
    const r = await cli('build', '-b', `${host}/${registryImages.busyboxAmd64.ref}`, '-i', TAG, '-p', 'arch-marker', '-c', channel,
      '--platform', 'linux/amd64,linux/arm64', '-o', bad, '--cache', join(tmp, 'cache'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error [platform-not-found]: ${host}/${registryImages.busyboxAmd64.ref} is linux/amd64, not linux/arm64`);
    expect(existsSync(bad)).toBe(false);
  }, 120_000);

  it('a second build (a fresh cache) writes the same archive bytes', async () => {
    const again = join(tmp, 'again.tar');
    const r = await cli('build', '-b', `${host}/${registryImages.busyboxIndex.ref}`, '-i', TAG, '-p', 'arch-marker', '-p', 'hello-asm', '-p', 'hello-sh', '-c', channel,
      '--platform', 'linux/amd64,linux/arm64', '-o', again, '--cache', join(tmp, 'cache2'));
    expect(r.code).toBe(0);
    expect(sha(again)).toBe(sha(out));
  }, 300_000);
});

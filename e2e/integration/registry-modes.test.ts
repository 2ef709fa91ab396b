/**
 * Every image of the registry harness (v2s2, OCI, Docker list, OCI index, zstd, debian minbase) pulled by the
 * CLI from each registry mode (open, htpasswd, bearer token): config and layer digests equal skopeo's for the
 * same reference, the tar holds uncompressed layers with verified diff_ids, amd64 images run in dockerd and
 * arm64 ones load and report their architecture; wrong credentials and missing rights are clear errors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { dockerEnv, haveDocker, haveRegistries, registries, registryImages, type HarnessRegistry } from '../harness/env';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}
const skopeoArgs = (r: HarnessRegistry) => ['--tls-verify=false', ...(r.creds ? ['--creds', `${r.creds.user}:${r.creds.password}`] : [])];

describe.skipIf(!haveDocker || !haveRegistries)('pulling every harness image from every registry mode', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'registry-modes-'));
  const loaded: string[] = [];
  afterAll(() => {
    for (const t of loaded) spawnSync('docker', ['rmi', '-f', t], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });
  const modes = registries ? (['open', 'basic', 'token'] as const).map((m) => [m, registries![m]] as const) : [];
  const cases = modes.flatMap(([mode, reg]) => Object.entries(registryImages).flatMap(([name, img]) =>
    img.platforms.map((platform) => [`${mode} ${name} ${platform}`, mode, reg, img.ref, platform] as const)));

  it.each(cases)('%s', { timeout: 120_000 }, async (_label, mode, reg, ref, platform) => {
    const full = `${reg.host}/${ref}`;
    const out = join(tmp, `${mode}-${ref.replace(/\W/g, '_')}-${platform.replace(/\W/g, '_')}.tar`);
    const r = await cli('pull', full, '-o', out, '--platform', platform, '--cache', join(tmp, 'cache'),
      ...(reg.creds ? ['--creds', `${reg.creds.user}:${reg.creds.password}`] : []));
    // stderr is not a terminal: only the plain progress lines, one per blob downloaded
    expect(r.err.replace(/^ {2}downloaded sha256:[0-9a-f]{12} \([^)]*\)\n/gm, ''), r.err).toBe('');
    expect(r.code).toBe(0);
    const [os, arch] = platform.split('/');
    const skRef = `docker://${full}`;
    const skConfig = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', '--override-os', os, '--override-arch', arch, ...skopeoArgs(reg), skRef], { encoding: 'utf8' }));
    const ins = JSON.parse((await cli('inspect', out, '--json')).out).images[0];
    expect(ins.layers.map((l: { diffId: string }) => l.diffId)).toEqual(skConfig.rootfs.diff_ids);
    expect(ins.layers.every((l: { digest: string; diffId: string; mediaType: string }) => l.digest === l.diffId && l.mediaType.endsWith('.tar'))).toBe(true);
    expect(ins.config.architecture).toBe(arch);
    if (mode !== 'open') return; // loading the same images three times proves nothing more
    const tag = `docker-envs.test/modes-${ref.replace(/\W/g, '-')}-${arch}:1`;
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    execFileSync('docker', ['tag', full, tag], { env: dockerEnv() });
    loaded.push(full, tag);
    expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Architecture}}', tag], { env: dockerEnv(), encoding: 'utf8' }).trim()).toBe(arch);
    if (arch === 'amd64') {
      expect(execFileSync('docker', ['run', '--rm', '--network', 'none', tag, 'echo', 'runs'], { env: dockerEnv(), encoding: 'utf8' })).toBe('runs\n');
    }
  });

  it('wrong credentials, anonymous access to a protected registry and pushing without rights are clear errors', async () => {
    const img = Object.values(registryImages)[0];
    const bad = await cli('pull', `${registries!.basic.host}/${img.ref}`, '-o', join(tmp, 'x.tar'), '--creds', 'nobody:wrong');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/HTTP 401.*UNAUTHORIZED|wrong or missing credentials/);
    const anon = await cli('pull', `${registries!.token.host}/${img.ref}`, '-o', join(tmp, 'x.tar'));
    expect(anon.code).toBe(1);
    expect(anon.err).toMatch(/401|UNAUTHORIZED|DENIED|token/);
    const pulled = join(tmp, 'reader.tar');
    const reader = registries!.tokenReader.creds!;
    expect((await cli('pull', `${registries!.token.host}/${img.ref}`, '-o', pulled, '--platform', img.platforms[0], '--creds', `${reader.user}:${reader.password}`)).code).toBe(0);
    const push = await cli('push', pulled, `${registries!.token.host}/test/pushed-by-reader:1`, '--creds', `${reader.user}:${reader.password}`);
    expect(push.code).toBe(1);
    expect(push.err).toMatch(/401|403|DENIED|UNAUTHORIZED/);
  });
});

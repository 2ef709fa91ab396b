/**
 * The registry harness does what env.ts promises: each mode answers /v2/ as it should, skopeo inspects every
 * seeded image in every mode (with credentials where needed), the list and the index resolve to both
 * platforms, the zstd image's layer is zstd, dockerd pulls from the open registry and runs busybox, the token
 * server honours pull vs push and refuses a wrong password, and the fault upstream injects what it is told.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { clearFaults, faultStats, setFaults } from './fault-upstream';
import { dockerEnv, faultyRegistry, haveDocker, haveRegistries, registries, registryImages, tokenServerHost } from './env';

type Reg = NonNullable<typeof registries>['open'];

function skopeoInspect(reg: Reg, ref: string, ...extra: string[]): Record<string, unknown> {
  const creds = reg.creds ? ['--creds', `${reg.creds.user}:${reg.creds.password}`] : [];
  return JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', ...creds, ...extra, `docker://${reg.host}/${ref}`],
    { encoding: 'utf8', timeout: 60_000 })) as Record<string, unknown>;
}

describe.skipIf(!haveRegistries)('registry harness', () => {
  const regs = registries!;
  const modes = ['open', 'basic', 'token'] as const;

  it('each mode answers /v2/: open 200, basic and token 401 with their WWW-Authenticate', async () => {
    expect((await fetch(`http://${regs.open.host}/v2/`)).status).toBe(200);
    const basic = await fetch(`http://${regs.basic.host}/v2/`);
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic realm="docker-envs-basic"/);
    const token = await fetch(`http://${regs.token.host}/v2/`);
    expect(token.status).toBe(401);
    expect(token.headers.get('www-authenticate')).toBe(`Bearer realm="http://${tokenServerHost}/token",service="docker-envs-registry"`);
    const auth = `Basic ${Buffer.from(`${regs.basic.creds!.user}:${regs.basic.creds!.password}`).toString('base64')}`;
    expect((await fetch(`http://${regs.basic.host}/v2/`, { headers: { authorization: auth } })).status).toBe(200);
  });

  it('seeds the documented images', () => {
    expect(Object.keys(registryImages)).toEqual(expect.arrayContaining(
      ['busyboxAmd64', 'busyboxArm64', 'busyboxAmd64Oci', 'busyboxArm64Oci', 'busyboxList', 'busyboxIndex', 'busyboxZstd']));
  });

  for (const mode of modes) {
    it(`skopeo inspects every image in the ${mode} registry, with the media type and platforms promised`, () => {
      const reg = regs[mode];
      for (const img of Object.values(registryImages)) {
        const raw = skopeoInspect(reg, img.ref, '--raw') as { mediaType: string; manifests?: Array<{ platform: { architecture: string } }>; layers?: Array<{ mediaType: string }> };
        expect(raw.mediaType, img.ref).toBe(img.mediaType);
        if (img.platforms.length > 1) {
          expect(raw.manifests!.map((m) => `linux/${m.platform.architecture}`).sort()).toEqual([...img.platforms].sort());
        } else {
          expect(raw.layers!.every((l) => l.mediaType.endsWith(img.compression === 'zstd' ? '+zstd' : 'gzip')), img.ref).toBe(true);
          const info = skopeoInspect(reg, img.ref);
          expect(`${String(info.Os)}/${String(info.Architecture)}`, img.ref).toBe(img.platforms[0]);
        }
      }
    }, 120_000);
  }

  it('the list and the index resolve to amd64 and arm64 images', () => {
    for (const name of ['busyboxList', 'busyboxIndex']) {
      for (const arch of ['amd64', 'arm64']) {
        const info = skopeoInspect(regs.open, registryImages[name].ref, '--override-arch', arch, '--override-os', 'linux');
        expect(info.Architecture).toBe(arch);
      }
    }
  });

  it('the zstd image\'s layer media type is zstd and its bytes are a zstd frame', async () => {
    const raw = skopeoInspect(regs.open, registryImages.busyboxZstd.ref, '--raw') as { layers: Array<{ mediaType: string; digest: string }> };
    expect(raw.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const [repo] = registryImages.busyboxZstd.ref.split(':');
    const blob = await fetch(`http://${regs.open.host}/v2/${repo}/blobs/${raw.layers[0].digest}`, { headers: { range: 'bytes=0-3' } });
    expect([...new Uint8Array(await blob.arrayBuffer())].slice(0, 4)).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
  });

  it('wrong credentials are refused in the basic and token modes', () => {
    for (const mode of ['basic', 'token'] as const) {
      const r = spawnSync('skopeo', ['inspect', '--tls-verify=false', '--creds', 'tester:wrong', `docker://${regs[mode].host}/${registryImages.busyboxAmd64.ref}`], { encoding: 'utf8' });
      expect(r.status, mode).not.toBe(0);
      expect(r.stderr, mode).toMatch(/unauthorized|401|authentication required/i);
    }
  });

  it('the token server answers 401 to a wrong password and grants pull but not push to the reader', async () => {
    const ask = async (user: string, password: string, scope: string) => fetch(
      `http://${tokenServerHost}/token?service=docker-envs-registry&scope=${encodeURIComponent(scope)}`,
      { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    expect((await ask('tester', 'nope', 'repository:test/busybox:pull')).status).toBe(401);
    const reader = regs.tokenReader.creds!;
    const r = await ask(reader.user, reader.password, 'repository:test/busybox:pull,push');
    const { token } = await r.json() as { token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { access: Array<{ actions: string[] }> };
    expect(claims.access).toEqual([{ type: 'repository', name: 'test/busybox', actions: ['pull'] }]);
    // the registry honours it: the reader may read a manifest but not start an upload
    const bearer = { authorization: `Bearer ${token}` };
    expect((await fetch(`http://${regs.token.host}/v2/test/busybox/manifests/amd64`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`http://${regs.token.host}/v2/test/busybox/blobs/uploads/`, { method: 'POST', headers: bearer })).status).toBe(401);
    // the writer may push a blob
    const w = regs.token.creds!;
    const wt = (await (await ask(w.user, w.password, 'repository:test/harness-push:pull,push')).json() as { token: string }).token;
    const up = await fetch(`http://${regs.token.host}/v2/test/harness-push/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${wt}` } });
    expect(up.status).toBe(202);
  });

  describe.skipIf(!haveDocker)('dockerd', () => {
    it('docker pull from the open registry and docker run --network none of busybox amd64', () => {
      const ref = `${regs.open.host}/${registryImages.busyboxAmd64.ref}`;
      const env = dockerEnv();
      try {
        execFileSync('docker', ['pull', '-q', ref], { env, encoding: 'utf8', timeout: 120_000 });
        const out = execFileSync('docker', ['run', '--rm', '--network', 'none', ref, '/bin/sh', '-c', 'echo harness-$(uname -m)'], { env, encoding: 'utf8', timeout: 120_000 });
        expect(out).toBe('harness-x86_64\n');
      } finally {
        spawnSync('docker', ['rmi', '-f', ref], { env });
      }
    }, 180_000);

    it('docker pull --platform linux/arm64 of the list and the index gives the arm64 image', () => {
      const env = dockerEnv();
      for (const name of ['busyboxList', 'busyboxIndex']) {
        const ref = `${regs.open.host}/${registryImages[name].ref}`;
        try {
          execFileSync('docker', ['pull', '-q', '--platform', 'linux/arm64', ref], { env, encoding: 'utf8', timeout: 120_000 });
          expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', ref], { env, encoding: 'utf8' }).trim(), name).toBe('linux/arm64');
        } finally {
          spawnSync('docker', ['rmi', '-f', ref], { env });
        }
      }
    }, 180_000);

    it.skipIf(!registryImages.debianMinbase)('the debootstrap minbase image runs and is Debian 12', () => {
      const ref = `${regs.open.host}/${registryImages.debianMinbase?.ref ?? ''}`;
      const env = dockerEnv();
      try {
        execFileSync('docker', ['pull', '-q', ref], { env, encoding: 'utf8', timeout: 120_000 });
        const out = execFileSync('docker', ['run', '--rm', '--network', 'none', ref, 'sh', '-c', 'cat /etc/debian_version; dpkg-query -W dpkg | cut -f1'], { env, encoding: 'utf8', timeout: 120_000 });
        expect(out).toMatch(/^12\.\d+\ndpkg\n$/);
      } finally {
        spawnSync('docker', ['rmi', '-f', ref], { env });
      }
    }, 180_000);
  });

  describe('fault upstream', () => {
    const faulty = faultyRegistry!;
    const [repo] = registryImages.busyboxAmd64.ref.split(':');
    afterEach(async () => { await clearFaults(faulty); });
    async function layerDigest(): Promise<string> {
      const m = await (await fetch(`http://${faulty}/v2/${repo}/manifests/amd64`, { headers: { accept: registryImages.busyboxAmd64.mediaType } })).json() as { layers: Array<{ digest: string }> };
      return m.layers[0].digest;
    }

    it('passes requests through and counts bytes per path', async () => {
      const digest = await layerDigest();
      const body = new Uint8Array(await (await fetch(`http://${faulty}/v2/${repo}/blobs/${digest}`)).arrayBuffer());
      expect(`sha256:${createHash('sha256').update(body).digest('hex')}`).toBe(digest);
      const stats = await faultStats(faulty);
      expect(stats.bytesOut[`/v2/${repo}/blobs/${digest}`]).toBe(body.byteLength);
      expect(stats.bytesIn[`/v2/${repo}/blobs/${digest}`] ?? 0).toBe(0);
    });

    it('resets a blob halfway once, then serves the rest with Range', async () => {
      const digest = await layerDigest();
      await setFaults(faulty, [{ path: '/blobs/sha256:', kind: 'reset', method: 'GET' }]);
      const first = await fetch(`http://${faulty}/v2/${repo}/blobs/${digest}`);
      const total = Number(first.headers.get('content-length'));
      const got: Uint8Array[] = [];
      const reader = first.body!.getReader();
      await expect((async () => { for (;;) { const { done, value } = await reader.read(); if (done) break; got.push(value); } })()).rejects.toThrow();
      const have = Buffer.concat(got);
      expect(have.byteLength).toBe(Math.floor(total / 2));
      const rest = await fetch(`http://${faulty}/v2/${repo}/blobs/${digest}`, { headers: { range: `bytes=${have.byteLength}-` } });
      expect(rest.status).toBe(206);
      const all = Buffer.concat([have, Buffer.from(await rest.arrayBuffer())]);
      expect(`sha256:${createHash('sha256').update(all).digest('hex')}`).toBe(digest);
    });

    it('answers 429 with Retry-After, then 200; 500 N times; 500 always', async () => {
      const url = `http://${faulty}/v2/${repo}/manifests/amd64`;
      await setFaults(faulty, [{ path: '/manifests/', kind: 'status', status: 429, retryAfter: 2 }]);
      const a = await fetch(url);
      expect(a.status).toBe(429);
      expect(a.headers.get('retry-after')).toBe('2');
      expect((await fetch(url)).status).toBe(200);
      await setFaults(faulty, [{ path: '/manifests/', kind: 'status', status: 500, times: 2 }]);
      expect([(await fetch(url)).status, (await fetch(url)).status, (await fetch(url)).status]).toEqual([500, 500, 200]);
      await setFaults(faulty, [{ path: '/manifests/', kind: 'status', status: 500, times: -1 }]);
      for (let i = 0; i < 5; i++) expect((await fetch(url)).status).toBe(500);
      // 1 × 429 + 2 × 500 + 5 × 500 since the last clear
      expect((await faultStats(faulty)).requests.filter((r) => r.fault === 'status')).toHaveLength(8);
    });
  });
});

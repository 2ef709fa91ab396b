/**
 * `docker-envs build` end to end: a real fixture channel served on loopback, the busybox base as a tar,
 * solve → fetch → install → layers → archive; the archive loads and runs in dockerd, and two builds of
 * the same spec give the same bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { main } from '../../src/cli/main';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/built:1';

async function cli(env: Record<string, string>, ...args: string[]) {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}

describe.skipIf(!haveDocker || !busyboxRootfsTar || !haveFixtures)('docker-envs build', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'build-'));
  let server: FolderServer;
  let channel: string;
  let base: string;
  beforeAll(async () => {
    server = await serveFolder(fixture('pixi/tests/data/channels/channels'));
    channel = `${server.base}/dummy_channel_1`;
    base = join(tmp, 'base.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  });
  afterAll(async () => {
    await server?.close();
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('builds an environment image that docker loads and runs, the same bytes twice', async () => {
    const args = (out: string, cache: string) => ['build', '-b', base, '-i', TAG, '-p', 'dummy-a', '-c', channel, '-o', out, '--cache', cache];
    const a = await cli({ SOURCE_DATE_EPOCH: '1700000000' }, ...args(join(tmp, 'a.tar'), join(tmp, 'cache')));
    expect(a.err).not.toMatch(/error/);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/2 packages in 3 layers/);
    // the digest the build reports is the manifest the archive holds (what a registry gets on push)
    const index = JSON.parse(execFileSync('tar', ['-xOf', join(tmp, 'a.tar'), 'index.json'], { encoding: 'utf8' })) as { manifests: { digest: string }[] };
    expect(a.out).toContain(index.manifests[0].digest);
    const b = await cli({ SOURCE_DATE_EPOCH: '1700000000' }, ...args(join(tmp, 'b.tar'), join(tmp, 'cache2')));
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(b.code).toBe(0);
    expect(sha(join(tmp, 'b.tar'))).toBe(sha(join(tmp, 'a.tar')));

    execFileSync('docker', ['load', '-i', join(tmp, 'a.tar')], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c',
      'echo $CONDA_PREFIX; echo $PATH; ls /opt/conda/conda-meta; grep -c "^http" /opt/conda/conda-meta/explicit.txt; grep "\\"url\\"" /opt/conda/conda-meta/dummy-a-0.1.0-hb0f4dca_0.json'],
    { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual([
      '/opt/conda', '/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'dummy-a-0.1.0-hb0f4dca_0.json', 'dummy-c-0.1.0-hb0f4dca_0.json', 'explicit.txt', 'history',
      '2', `  "url": "${channel}/linux-64/dummy-a-0.1.0-hb0f4dca_0.conda",`, '',
    ]);
    const labels = JSON.parse(execFileSync('docker', ['image', 'inspect', '-f', '{{json .Config.Labels}}', TAG], { env: dockerEnv(), encoding: 'utf8' }));
    expect(labels['org.conda.environment.specs']).toBe('dummy-a');
  });

  it('--layering single puts every package in one layer (one job of several packages) with the same files as one layer each', async () => {
    const single = 'docker-envs.test/built-single:1';
    const layered = 'docker-envs.test/built-layered:1';
    try {
      for (const [tag, extra] of [[single, ['--layering', 'single']], [layered, []]] as const) {
        const out = join(tmp, `${tag.split(':')[0].split('/').pop()}.tar`);
        const r = await cli({ SOURCE_DATE_EPOCH: '0' }, 'build', '-b', base, '-i', tag, '-p', 'dummy-a', '-c', channel, '-o', out, '--cache', join(tmp, 'cache'), ...extra);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(tag === single ? /2 packages in 2 layers/ : /2 packages in 3 layers/);
        execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
      }
      // what docker sees inside each image: every path under the prefix with its type and content hash
      const tree = (tag: string) => execFileSync('docker', ['run', '--rm', '--network', 'none', tag, '/bin/sh', '-c',
        'cd /opt/conda && find . | sort | while read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f $(sha256sum < "$f" | cut -c1-64)"; else echo "$f"; fi; done'],
      { env: dockerEnv(), encoding: 'utf8' });
      const [a, b] = [tree(single), tree(layered)];
      expect(a.split('\n').length).toBeGreaterThan(6);
      expect(a).toBe(b);
    } finally {
      spawnSync('docker', ['rmi', '-f', single, layered], { env: dockerEnv() });
    }
  });

  it('solve writes an explicit lock for the base that build --lock installs', async () => {
    const lockFile = join(tmp, 'explicit.txt');
    const s = await cli({}, 'solve', '-b', base, '-p', 'dummy-a', '-c', channel, '-o', lockFile, '--cache', join(tmp, 'cache'));
    expect(s.code).toBe(0);
    // busybox ships no glibc: no __glibc among the virtual packages
    expect(s.err).toMatch(/2 packages for linux-64 \(__unix=0, __linux=[\d.]+, __archspec=1\) → /);
    const lock = readFileSync(lockFile, 'utf8').trim().split('\n');
    expect(lock).toContain('@EXPLICIT');
    expect(lock).toContain('# platform: linux-64');
    const urls = lock.filter((l) => l.startsWith('http'));
    expect(urls.map((u) => u.split('/').pop()!.replace(/#.*/, '')).sort()).toEqual(['dummy-a-0.1.0-hb0f4dca_0.conda', 'dummy-c-0.1.0-hb0f4dca_0.conda']);
    for (const u of urls) expect(u).toMatch(/#[0-9a-f]{64}$/);
    const b = await cli({}, 'build', '-b', base, '-i', TAG, '--lock', lockFile, '-o', join(tmp, 'locked.tar'), '--cache', join(tmp, 'cache'));
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/2 packages in 3 layers/);
    // to stdout without -o
    const printed = await cli({}, 'solve', '-b', base, '-p', 'dummy-a', '-c', channel, '--cache', join(tmp, 'cache'));
    expect(printed.out.trim().split('\n')).toEqual(lock);
  });

  it('--file environment.yml: every dependency (after a pip block too), and variables in the container\'s environment', async () => {
    const tag = 'docker-envs.test/built-file:1';
    const file = join(tmp, 'environment.yml');
    writeFileSync(file, `name: demo\nchannels: ["${channel}"]\ndependencies:\n  - dummy-c\n  - pip:\n    - requests\n  - dummy-b  # after pip\nvariables:\n  COLOR: "#ff0000"\n  GREETING: hello world\n`);
    try {
      const r = await cli({}, 'build', '-b', base, '-i', tag, '--file', file, '-o', join(tmp, 'file.tar'), '--cache', join(tmp, 'cache'));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/2 packages in 3 layers/);
      expect(r.err).toContain('pip packages are not installed: the environment has no python: requests');
      execFileSync('docker', ['load', '-i', join(tmp, 'file.tar')], { env: dockerEnv() });
      const run = execFileSync('docker', ['run', '--rm', '--network', 'none', tag, '/bin/sh', '-c', 'echo "$COLOR|$GREETING"; ls /opt/conda/conda-meta | grep -c "^dummy"'], { env: dockerEnv(), encoding: 'utf8' });
      expect(run).toBe('#ff0000|hello world\n2\n');
    } finally {
      spawnSync('docker', ['rmi', '-f', tag], { env: dockerEnv() });
    }
  });

  it('diff: two environments one package apart share their common layers; the config, packages and files that differ are listed', async () => {
    const [a, b] = [join(tmp, 'diff-a.tar'), join(tmp, 'diff-b.tar')];
    for (const [out, specs] of [[a, ['-p', 'dummy-a']], [b, ['-p', 'dummy-a', '-p', 'dummy-b']]] as const) {
      const r = await cli({}, 'build', '-b', base, '-i', TAG, ...specs, '-c', channel, '-o', out, '--cache', join(tmp, 'cache'));
      expect(r.code).toBe(0);
    }
    const j = await cli({}, 'diff', a, b, '--json', '--files');
    expect(j.code).toBe(0);
    const c = JSON.parse(j.out) as import('../../src/core/inspect/compare').ImageComparison;
    // busybox, dummy-c and dummy-a are the same layers in both; the metadata layer and dummy-b are not
    expect(c.layers.shared.map((l) => l.createdBy ?? '')).toEqual(['busybox', expect.stringMatching(/conda install dummy-c=/), expect.stringMatching(/conda install dummy-a=/)]);
    expect(c.layers.onlyA.map((l) => l.createdBy)).toEqual([expect.stringMatching(/conda-meta\/history/)]);
    expect(c.layers.onlyB.map((l) => l.createdBy)).toEqual([expect.stringMatching(/conda install dummy-b=/), expect.stringMatching(/conda-meta\/history/)]);
    expect(c.conda).toEqual({ added: [{ prefix: 'opt/conda', name: 'dummy-b', version: '0.1.0', build: 'hb0f4dca_0', channel: expect.any(String) }], removed: [], changed: [] });
    expect(c.config).toContainEqual({ key: 'Label org.conda.environment.specs', a: 'dummy-a', b: 'dummy-a dummy-b' });
    expect(c.config).toContainEqual({ key: 'Label org.conda.environment.packages', a: '2', b: '3' });
    expect(c.config.some((d) => d.key.startsWith('Env '))).toBe(false);
    expect(c.files!.filter((f) => f.change === 'added').map((f) => f.path)).toContain('opt/conda/conda-meta/dummy-b-0.1.0-hb0f4dca_0.json');
    expect(c.files!.filter((f) => f.change === 'changed').map((f) => f.path)).toEqual(expect.arrayContaining(['opt/conda/conda-meta/history', 'opt/conda/environment.yml']));
    expect(c.files!.some((f) => f.change === 'removed')).toBe(false);
    // as text, and an image against itself
    const text = await cli({}, 'diff', a, b);
    expect(text.out).toMatch(/layers: 3 shared \(.*\), 1 only in A, 2 only in B/);
    expect(text.out).toMatch(/conda packages in \/opt\/conda:\n {2}\+ dummy-b 0\.1\.0 hb0f4dca_0/);
    const self = await cli({}, 'diff', a, a);
    expect(self.out).toMatch(/the same image/);
    expect(self.out).toMatch(/0 only in A, 0 only in B/);
    // inspect lists the conda packages of an image too
    const insp = JSON.parse((await cli({}, 'inspect', b, '--json')).out) as { images: Array<{ conda: Array<{ name: string; prefix: string }>; merged?: unknown }> };
    expect(insp.images[0].conda.map((p) => `${p.prefix}:${p.name}`)).toEqual(['opt/conda:dummy-a', 'opt/conda:dummy-b', 'opt/conda:dummy-c']);
    expect(insp.images[0].merged).toBeUndefined();
    expect((await cli({}, 'inspect', b)).out).toMatch(/Conda packages in \/opt\/conda \(3\):\nNAME +VERSION +BUILD +CHANNEL\ndummy-a +0\.1\.0 +hb0f4dca_0/);
  });

  it('an unsatisfiable spec is a clear error', async () => {
    const r = await cli({}, 'build', '-b', base, '-i', TAG, '-p', 'dummy-a>=5', '-c', channel, '-o', join(tmp, 'x.tar'), '--cache', join(tmp, 'cache'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[solve-failed\]: cannot solve dummy-a>=5/);
  });
});

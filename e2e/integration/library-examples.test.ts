/**
 * The seed's four examples: three through the Node library entry, in TypeScript, and the CLI; against a real
 * registry on loopback and a local channel; every output is loaded into the real dockerd and run:
 * 1. pull an image (a stand-in for continuumio/miniconda3: busybox with a conda prefix at /opt/conda, built by
 *    the library itself and pushed to the registry);
 * 2. surgery: pull it, remove its top layer, rename it, add a folder through condaFileFilter and in-memory files,
 *    append FOO=BAR to its Env, write it to a file;
 * 3. buildDockerEnvironment on that base, from a channel folder: its packages stay, only what is missing is added;
 * 4. the CLI's `build -b BASE -i example-image:123456 -p … -o demo.tar` with the same inputs: example 3's bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLayers, buildDockerEnvironment, condaFileFilter, emptyImage, layerFromBlob, MediaTypes, pullImage,
  pushImage, RegistryClient, validate,
} from '../../src/core/index.node';
import { runCli } from '../../src/test-support/cli';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { buildTestChannel } from '../conda-builder/build';
import { busyboxRootfsTar, dockerEnv, haveDocker, registries } from '../harness/env';
import { registryInstalled, startRegistry, type Registry } from '../harness/registry';

const sha256sum = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const TAGS = { surgery: 'this-is-a-test', built: 'example-image:123456' };

describe.skipIf(!haveDocker || !busyboxRootfsTar || (!registries && !registryInstalled))('the library examples, in dockerd', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'library-examples-'));
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH };
  let server: FolderServer;
  let channel: string;
  let channelDir: string;
  let own: Registry | undefined;
  let base: string;
  const docker = (...a: string[]) => execFileSync('docker', a, { env: dockerEnv(), encoding: 'utf8', timeout: 120_000 });
  const run = (tag: string, script: string) => docker('run', '--rm', '--network', 'none', tag, 'sh', '-c', script);

  beforeAll(async () => {
    // the library's cache folder goes to the test's folder, not the user's
    process.env.XDG_CACHE_HOME = join(tmp, 'xdg');
    channelDir = await buildTestChannel();
    server = await serveFolder(channelDir);
    channel = `${server.base}/`;
    const host = registries?.open.host ?? (own = await startRegistry({ mode: 'open', root: join(tmp, 'registry') })).host;
    base = `${host}/test/miniconda3:latest`;
    // the miniconda stand-in: busybox, python in /opt/conda (with its conda-meta and history), pushed
    const busybox = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    const env = await buildDockerEnvironment({ baseImage: busybox, outputImage: 'docker-envs.test/miniconda:1', packages: ['python'], channels: [channel] });
    await validate(env.image);
    await pushImage(new RegistryClient(), env.image, base);
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await own?.stop();
    spawnSync('docker', ['rmi', '-f', base, TAGS.surgery, TAGS.built], { env: dockerEnv() });
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('1. pullImage: the image docker loads is the registry\'s (same config digest) and holds the prefix', async () => {
    const { image, manifestDigest, platform } = await pullImage(base);
    expect(platform).toMatchObject({ os: 'linux', architecture: 'amd64' });
    expect(await image.digest()).toBe(manifestDigest);
    expect(image.name).toBe(base);
    const out = join(tmp, 'pulled.tar');
    await image.writeFile(out);
    docker('load', '-i', out);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', base).trim()).toBe((await image.manifest()).config.digest);
    expect(run(base, 'ls /opt/conda/conda-meta; /opt/conda/bin/python x')).toBe('explicit.txt\nhistory\npython-3.12.0-stand_in_0.json\npython stand-in ran x\n');
  }, 120_000);

  it('2. surgery: top layer removed, renamed, a filtered folder and in-memory files added, FOO=BAR appended', async () => {
    const dir = join(tmp, 'folder');
    const files: Record<string, string> = {
      'app/run.sh': 'echo run', 'lib/libfoo.so': 'shared', 'lib/libfoo.a': 'static', 'share/app.js': 'js', 'share/app.js.map': 'map',
      'lib/python3.12/site-packages/m/__init__.py': 'py', 'lib/python3.12/site-packages/m/__pycache__/__init__.cpython-312.pyc': 'pyc',
      'lib/python3.12/site-packages/m/tests/test_m.py': 'test', 'pkgs/m-1.0-0.conda': 'cached', 'pkgs/m-1.0-0/info/index.json': '{}',
      'share/doc/m/README': 'doc',
    };
    for (const [p, text] of Object.entries(files)) { mkdirSync(dirname(join(dir, p)), { recursive: true }); writeFileSync(join(dir, p), text); }
    symlinkSync('libfoo.so', join(dir, 'lib/libfoo.so.1'));
    /** example 2, as the seed wrote it */
    const surgery = async () => {
      const { image: pulled } = await pullImage(base);
      const image = pulled.removeLayer()
        .withName(TAGS.surgery)
        .addLayerPath(dir, { filter: condaFileFilter({ docs: true, tests: true }), prefix: 'srv/example' })
        .addLayerContents({ 'this/is/a/test1': new TextEncoder().encode('this is test 1'), 'this/is/a/test2': 'this is test 2' })
        .withConfig((c) => { c.config = { ...c.config, Env: [...(c.config?.Env ?? []), 'FOO=BAR'] }; });
      return { pulled, image };
    };
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    const { pulled, image } = await surgery();
    const { image: again } = await surgery();
    delete process.env.SOURCE_DATE_EPOCH;
    await validate(image);
    expect((await image.layers()).length).toBe((await pulled.layers()).length + 1);
    const out = join(tmp, 'example-filter.tar');
    await image.writeFile(out);
    // deterministic: the same edits made again (a fresh pull, a fresh walk of the folder) write the same bytes
    await again.writeFile(join(tmp, 'again.tar'));
    expect(sha256sum(join(tmp, 'again.tar'))).toBe(sha256sum(out));
    docker('load', '-i', out);
    expect(run(TAGS.surgery, 'cat /this/is/a/test1; echo; cat /this/is/a/test2; echo; env | grep FOO; ls /opt/conda/conda-meta')).toBe(
      'this is test 1\nthis is test 2\nFOO=BAR\npython-3.12.0-stand_in_0.json\n');
    // what the filter drops is gone; the rest is there with the SOURCE_DATE_EPOCH mtime, the symlink kept
    expect(run(TAGS.surgery, 'cd /srv/example && find . -type f -o -type l | sort; stat -c %Y lib/libfoo.so; readlink lib/libfoo.so.1')).toBe(
      './app/run.sh\n./lib/libfoo.so\n./lib/libfoo.so.1\n./lib/python3.12/site-packages/m/__init__.py\n./share/app.js\n1700000000\nlibfoo.so\n');
    // the pulled image is unchanged: busybox, python and the conda-meta/history layer, and no FOO
    expect(await pulled.layers()).toHaveLength(3);
    expect((await pulled.config()).config?.Env ?? []).not.toContain('FOO=BAR');
  }, 120_000);

  it('3. buildDockerEnvironment on the prefix: the base\'s python stays, only what is missing is added', async () => {
    const out = join(tmp, 'demo.tar');
    const env = await buildDockerEnvironment({ baseImage: base, outputImage: TAGS.built, packages: ['hello-script', 'hello-py', 'python'], channels: [channelDir], outputFilename: out });
    expect(env.solved.map((r) => r.name).sort()).toEqual(['hello-py', 'hello-script']);
    await validate(env.image);
    docker('load', '-i', out);
    expect(run(TAGS.built, 'ls /opt/conda/conda-meta; hello-prefix; hello-py')).toBe(
      'explicit.txt\nhello-py-1.0-py_0.json\nhello-script-1.0-0.json\nhistory\npython-3.12.0-stand_in_0.json\ninstalled at /opt/conda\npython stand-in ran /opt/conda/bin/hello-py\n');
    // conda-meta/history: the base's revision (python), then this build's
    const history = run(TAGS.built, 'grep -E "^(==>|\\+)" /opt/conda/conda-meta/history');
    expect(history).toMatch(/^==> .* <==\n\+[^\n]*::python-3\.12\.0-stand_in_0\n==> .* <==\n(\+[^\n]*::hello-(py|script)-[^\n]*\n){2}$/);
  }, 300_000);

  it('4. the CLI: build -b BASE -i example-image:123456 -p … -o demo.tar writes the bytes example 3 wrote, and they run', async () => {
    const out = join(tmp, 'demo-cli.tar');
    const r = await runCli('build', '-b', base, '-i', TAGS.built, '-p', 'hello-script', '-p', 'hello-py', '-p', 'python', '-c', channelDir, '-o', out, '--cache', join(tmp, 'cli-cache'));
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(sha256sum(out)).toBe(sha256sum(join(tmp, 'demo.tar')));
    spawnSync('docker', ['rmi', '-f', TAGS.built], { env: dockerEnv() });
    docker('load', '-i', out);
    expect(run(TAGS.built, 'ls /opt/conda/conda-meta; hello-prefix; hello-py')).toBe(
      'explicit.txt\nhello-py-1.0-py_0.json\nhello-script-1.0-0.json\nhistory\npython-3.12.0-stand_in_0.json\ninstalled at /opt/conda\npython stand-in ran /opt/conda/bin/hello-py\n');
  }, 300_000);
});

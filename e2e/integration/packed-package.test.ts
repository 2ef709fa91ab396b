/**
 * The package as others install it: `npm pack` (its prepack builds the library and the one-file CLI), then a
 * temporary project outside the repository that installs only that tarball, offline from the local npm cache:
 * - a Node script (packed-package/consumer.mjs) imports the API by the package's name, pulls a base (busybox) from
 *   a registry on loopback, edits it, builds a conda environment from a local channel; both images load in dockerd;
 * - a Vite app (packed-package/main.js) imports the browser entry, is built by Vite and run in Chromium, where it
 *   writes an image archive that dockerd loads, and runs examples 1–3 in a Web Worker (examples.worker.js), the
 *   registry and the channel reached through a same-origin proxy route; their archives load in dockerd too;
 * - the `docker-envs` bin is the one-file CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, openAsBlob, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLayers, emptyImage, layerFromBlob, MediaTypes, pushImage, RegistryClient } from '../../src/core/index.node';
import { haveChromium, launchChromium } from '../../src/test-support/chromium-script';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { buildTestChannel } from '../conda-builder/build';
import { busyboxRootfsTar, dockerEnv, haveDocker, registries } from '../harness/env';
import { registryInstalled, startRegistry, type Registry } from '../harness/registry';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const here = join(repo, 'e2e', 'integration', 'packed-package');
const TAGS = ['packed-package:surgery', 'packed-package:env', 'packed-package:vite', 'packed-package:browser-surgery', 'packed-package:browser-env'];
const seconds = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

/**
 * The consumer's package.json and a lockfile pinning the tarball's runtime dependencies to the repository's
 * locked versions: with them npm installs from the cache by integrity and asks no registry for package metadata
 * (a bare `npm install --offline <tarball>` must fetch each dependency's full packument, which the cache may
 * hold only in its abbreviated form).
 */
function writeConsumer(dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const spec = `file:${tarball}`;
  const packages: Record<string, Record<string, unknown>> = {
    '': { name: 'consumer', dependencies: { 'docker-envs': spec } },
    'node_modules/docker-envs': { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const name of Object.keys(pkg.dependencies)) {
    const { dev: _dev, ...entry } = lock.packages[`node_modules/${name}`]!;
    expect(entry.dependencies ?? {}, `${name} has dependencies of its own: pin them too`).toEqual({});
    packages[`node_modules/${name}`] = entry;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'docker-envs': spec } }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2));
}

describe.skipIf(!haveDocker || !busyboxRootfsTar || (!registries && !registryInstalled))('the packed package, installed elsewhere', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'packed-package-'));
  const project = join(tmp, 'consumer');
  let own: Registry | undefined;
  let server: FolderServer;
  let tarball: string;
  let base: string;
  let baseDigest: string;
  let channelDir: string;
  const docker = (...a: string[]) => execFileSync('docker', a, { env: dockerEnv(), encoding: 'utf8', timeout: 120_000 });
  const run = (tag: string, script: string) => docker('run', '--rm', '--network', 'none', tag, 'sh', '-c', script);

  beforeAll(async () => {
    // the base in the registry (busybox as one layer) and the channel, made with the repository's sources
    const host = registries?.open.host ?? (own = await startRegistry({ mode: 'open', root: join(tmp, 'registry') })).host;
    base = `${host}/packed/base:1`;
    const busybox = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    baseDigest = (await pushImage(new RegistryClient(), busybox, base)).digest;
    channelDir = await buildTestChannel();
    server = await serveFolder(channelDir);
    let t = performance.now();
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: repo, encoding: 'utf8', timeout: 240_000 }).trim().split('\n').at(-1)!;
    tarball = join(tmp, name);
    console.log(`npm pack: ${seconds(t)}, ${(statSync(tarball).size / 1e6).toFixed(2)} MB`);
    mkdirSync(project);
    writeConsumer(project, tarball);
    t = performance.now();
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    console.log(`npm install --offline: ${seconds(t)}`);
  }, 360_000);

  afterAll(async () => {
    await server?.close();
    await own?.stop();
    spawnSync('docker', ['rmi', '-f', ...TAGS], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the built library, its declarations and the one-file CLI, and no sources', () => {
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(['package/dist/lib/index.js', 'package/dist/lib/index.node.js', 'package/dist/types/index.d.ts', 'package/dist/types/index.node.d.ts', 'package/dist/docker-envs.mjs']));
    expect(listed.filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    // installed: only the package and its runtime dependencies; its bin is the one-file CLI
    const installed = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@conda-org', '@msgpack', 'docker-envs', 'fflate', 'fzstd', 'hash-wasm', 'yaml', 'zstddec']);
    const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    expect(execFileSync(join(project, 'node_modules', '.bin', 'docker-envs'), ['--version'], { encoding: 'utf8' })).toBe(`docker-envs ${version}\n`);
  });

  it('a Node script imports it by name: the image it edits and the environment it builds load in dockerd and run', async () => {
    const folder = join(tmp, 'folder');
    for (const [p, text] of Object.entries({ 'run.sh': 'echo run', 'lib/libfoo.a': 'static', 'share/doc/x/README': 'doc' })) {
      mkdirSync(dirname(join(folder, p)), { recursive: true });
      writeFileSync(join(folder, p), text);
    }
    const out = join(tmp, 'out');
    mkdirSync(out);
    copyFileSync(join(here, 'consumer.mjs'), join(project, 'consumer.mjs'));
    const t = performance.now();
    const summary = JSON.parse(execFileSync(process.execPath, ['consumer.mjs'], {
      cwd: project, encoding: 'utf8', timeout: 240_000,
      env: { ...process.env, XDG_CACHE_HOME: join(tmp, 'xdg'), PACKED_BASE: base, PACKED_FOLDER: folder, PACKED_CHANNEL: channelDir, PACKED_OUT: out },
    })) as { surgeryConfig: string; solved: string[]; envConfig: string };
    console.log(`consumer script: ${seconds(t)}`);
    docker('load', '-i', join(out, 'surgery.tar'));
    expect(docker('image', 'inspect', '--format', '{{.Id}}', TAGS[0]!).trim()).toBe(summary.surgeryConfig);
    // the filter dropped the static library and the docs
    expect(run(TAGS[0]!, 'cat /this/is/a/test1; echo; env | grep FOO; cd /srv/app && find . -type f | sort')).toBe('this is test 1\nFOO=BAR\n./run.sh\n');
    expect(summary.solved).toEqual(['hello-script']);
    docker('load', '-i', join(out, 'env.tar'));
    expect(docker('image', 'inspect', '--format', '{{.Id}}', TAGS[1]!).trim()).toBe(summary.envConfig);
    expect(run(TAGS[1]!, 'hello-prefix')).toBe('installed at /opt/conda\n');
  }, 300_000);

  it.skipIf(!haveChromium)('a Vite app imports its browser entry: built by Vite, run in Chromium, its archive and those of examples 1–3 in a worker load in dockerd', async () => {
    for (const f of ['main.js', 'examples.worker.js']) copyFileSync(join(here, f), join(project, f));
    writeFileSync(join(project, 'index.html'), '<!doctype html><title>consumer</title><script type="module" src="/main.js"></script>\n');
    let t = performance.now();
    await build({ root: project, configFile: false, logLevel: 'silent', build: { outDir: join(project, 'dist'), target: 'es2022' }, worker: { format: 'es' } });
    console.log(`vite build: ${seconds(t)}`);
    const bundled = readdirSync(join(project, 'dist', 'assets')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(project, 'dist', 'assets', f), 'utf8')).join('\n');
    // the browser entry, not the Node one: no node: imports reached the bundle
    expect(bundled).not.toMatch(/from\s*["']node:/);
    t = performance.now();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
      await page.route('http://localhost/**', (r) => {
        const url = new URL(r.request().url());
        // the app's proxy: the request made from here, to the registry or channel on loopback
        if (url.pathname === '/proxy') return r.fetch({ url: url.searchParams.get('u')! }).then((response) => r.fulfill({ response }));
        const path = url.pathname;
        const file = join(project, 'dist', path === '/' ? 'index.html' : path);
        return r.fulfill({ contentType: types[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://localhost/?${new URLSearchParams({ base, channel: `${server.base}/` })}`);
      await page.waitForFunction(() => 'packed' in window, undefined, { timeout: 60_000 }).catch(() => { throw new Error(`the app did not finish: ${errors.join('; ')}`); });
      const result = await page.evaluate(() => (window as unknown as { packed: { archive: string; sha256: string; config: string } }).packed);
      console.log(`Chromium: ${seconds(t)}`);
      const archive = join(tmp, 'vite.tar');
      writeFileSync(archive, Buffer.from(result.archive, 'base64'));
      expect(createHash('sha256').update(readFileSync(archive)).digest('hex')).toBe(result.sha256);
      docker('load', '-i', archive);
      expect(docker('image', 'inspect', '--format', '{{.Id}} {{json .Config.Env}}', TAGS[2]!).trim()).toBe(`${result.config} ["FOO=VITE"]`);
      // examples 1–3, from the worker
      await page.waitForFunction(() => 'examples' in window, undefined, { timeout: 120_000 });
      const ex = await page.evaluate(() => (window as unknown as { examples: Record<string, string | string[]> }).examples) as
        { error?: string; pulled: string; surgery: string; surgeryConfig: string; env: string; envConfig: string; solved: string[] };
      expect(ex.error).toBeUndefined();
      console.log(`examples in the worker: ${seconds(t)}`);
      expect(ex.pulled).toBe(baseDigest);
      for (const [name, b64, tag, config] of [['surgery', ex.surgery, TAGS[3]!, ex.surgeryConfig], ['env', ex.env, TAGS[4]!, ex.envConfig]] as const) {
        writeFileSync(join(tmp, `browser-${name}.tar`), Buffer.from(b64, 'base64'));
        docker('load', '-i', join(tmp, `browser-${name}.tar`));
        expect(docker('image', 'inspect', '--format', '{{.Id}}', tag).trim()).toBe(config);
      }
      expect(run(TAGS[3]!, 'cat /this/is/a/test1; echo; env | grep FOO')).toBe('this is test 1 (browser)\nFOO=BAR\n');
      expect(ex.solved).toEqual(['hello-script']);
      expect(run(TAGS[4]!, 'hello-prefix')).toBe('installed at /opt/conda\n');
    } finally {
      await browser.close();
    }
  }, 180_000);
});

/**
 * The pip step of a build through the pipeline (no dockerd): a conda channel folder with a stand-in python
 * 3.11 and a noarch package that puts greetlib's dist-info in site-packages, a loopback PEP 691 index serving
 * wheels written by Python's zipfile (test-support/wheels.ts). What conda installs is not installed again by
 * pip, and a pip pin that conda's version fails is an error naming both. Hash-checking mode as pip has it;
 * local wheels beside the environment.yml; wheels kept in the blob store, so a rebuild downloads none, and a
 * tampered wheel fails and leaves nothing there; the lock carries the pip packages and rebuilds the same image.
 * Binary wheels (fastadd, a C extension compiled by gcc: e2e/harness/binary-wheels.ts) are chosen by tag
 * priority for the base's architecture and glibc, a pure wheel where no binary fits; a multi-platform build
 * resolves the section for each platform, and names the platform no wheel fits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryBlobStore, type BlobStore } from '../../src/core/cache';
import { openRegularFileBlob } from '../../src/core/cache/file-blob.node';
import { folderChannel } from '../../src/core/conda/channel-folder.node';
import { readExplicitLock, readLockedWheels, writeExplicitLock } from '../../src/core/conda/explicit-lock';
import { localChannelFetch } from '../../src/core/conda/local-channel';
import { appendLayers, emptyImage, layerFromFiles, scanLayers, type Image } from '../../src/core/image';
import type { Platform } from '../../src/core/oci';
import { buildEnvironment, buildEnvironments, readPipSection, resolvePipSection } from '../../src/core/pipeline';
import { MAKE_WHEEL } from '../../src/test-support/wheels';
import { main } from '../../src/cli/main';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { PYTHON_STAND_IN, writeChannel } from '../conda-builder/package';
import { FASTADD_X86_64, writeFastaddWheels } from '../harness/binary-wheels';
import { servePipIndex, type PipIndex } from '../harness/pip-index';

const PY = '/usr/bin/python3';
const havePython = spawnSync(PY, ['-c', 'import zipfile']).status === 0;
const haveGcc = spawnSync('gcc', ['--version']).status === 0 && spawnSync('test', ['-f', '/usr/include/python3.11/Python.h']).status === 0;
const SP = 'opt/conda/lib/python3.11/site-packages';

/** A base for a platform whose only file is a glibc 2.36 libc (its version string), as a Debian base has it. */
const glibcBase = (platform: Platform, machine: string) => appendLayers(emptyImage({ platform }), [{
  layer: layerFromFiles({ [`lib/${machine}-linux-gnu/libc.so.6`]: '\x7fELF GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n' }), history: { created_by: 'test' },
}]);

/** The files each layer adds, by layer index. */
async function layerFiles(image: Image): Promise<string[][]> {
  const out: string[][] = [];
  for (const layer of await image.layers()) {
    const files: string[] = [];
    await scanLayers({ layers: async () => [layer] } as unknown as Image, [{ visit: (e) => { if (e.type === 'file') files.push(e.name); } }]);
    out.push(files);
  }
  return out;
}

describe.skipIf(!havePython)('the pip step of a build', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pip-build-'));
  const wheels = join(tmp, 'wheels');
  let index: PipIndex;
  let channel: ReturnType<typeof folderChannel>;
  const sha = (file: string) => createHash('sha256').update(readFileSync(join(wheels, file))).digest('hex');
  const make = (name: string, version: string, ...deps: string[]) => execFileSync(PY, ['-c', MAKE_WHEEL, wheels, name, version, 'ok', ...deps], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    mkdirSync(wheels);
    mkdirSync(join(tmp, 'local'));
    execFileSync(PY, ['-c', MAKE_WHEEL, join(tmp, 'local'), 'greetlib', '1.5', 'ok']);
    make('greetlib', '1.0');
    make('greetlib', '0.9');
    make('greeter', '2.0', 'greetlib>=1');
    make('greeter', '1.0', 'greetlib');
    if (haveGcc) writeFastaddWheels(wheels);
    // wheels that fail to install (a member outside the prefix; a member that is not what RECORD says) and a
    // project with an sdist only
    execFileSync(PY, ['-c', MAKE_WHEEL, wheels, 'evilpath', '1.0', 'unsafe']);
    execFileSync(PY, ['-c', MAKE_WHEEL, wheels, 'badrecord', '1.0', 'tamper']);
    mkdirSync(join(tmp, 'sdist', 'sdistonly-1.0'), { recursive: true });
    writeFileSync(join(tmp, 'sdist', 'sdistonly-1.0', 'PKG-INFO'), 'Metadata-Version: 2.1\nName: sdistonly\nVersion: 1.0\n');
    execFileSync('tar', ['-czf', join(wheels, 'sdistonly-1.0.tar.gz'), '-C', join(tmp, 'sdist'), 'sdistonly-1.0']);
    index = await servePipIndex(wheels);
    await writeChannel(join(tmp, 'channel'), [
      { ...PYTHON_STAND_IN, version: '3.11.4' },
      { ...PYTHON_STAND_IN, version: '3.11.4', subdir: 'linux-aarch64' },
      {
        name: 'greetlib-conda', version: '1.0', build: 'py_0', subdir: 'noarch', noarch: 'python', depends: ['python'], files: [
          { path: 'site-packages/greetlib/__init__.py', content: "VERSION = '1.0 from conda'\n" },
          { path: 'site-packages/greetlib-1.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: greetlib\nVersion: 1.0\n' },
          { path: 'site-packages/greetlib-1.0.dist-info/INSTALLER', content: 'conda\n' },
        ],
      },
    ]);
    channel = folderChannel(join(tmp, 'channel'));
  }, 120_000);
  afterAll(async () => {
    await index?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const build = (specs: string[], pip: string[], o: { store?: BlobStore; lock?: string } = {}) => {
    const fetch = localChannelFetch([channel], globalThis.fetch);
    return buildEnvironment({
      base: emptyImage(), specs, channels: [channel.url], fetch, repodataFetch: fetch, store: o.store ?? memoryBlobStore(), epoch: 1_700_000_000,
      pip: readPipSection([`--index-url ${index.url}`, ...pip], { base: pathToFileURL(`${tmp}/`).href }), pipOpenLocal: (url) => openRegularFileBlob(fileURLToPath(url)),
      ...(o.lock ? { lock: readExplicitLock(o.lock), pipLock: readLockedWheels(o.lock) } : {}),
    });
  };

  it('a distribution conda installs is not installed again by pip', async () => {
    const r = await build(['python', 'greetlib-conda'], ['greeter']);
    expect(r.pip).toEqual(['greeter==2.0']);
    const layers = await layerFiles(r.image);
    const pipLayer = layers.at(-2)!;
    expect(pipLayer.filter((f) => f.includes('.dist-info/METADATA'))).toEqual([`${SP}/greeter-2.0.dist-info/METADATA`]);
    expect(layers.flat().filter((f) => f.startsWith(`${SP}/greetlib/`))).toEqual([`${SP}/greetlib/__init__.py`]);
    expect(index.downloads.get('greetlib-1.0-py3-none-any.whl')).toBeUndefined();
  });

  it('a pip pin the conda-installed version fails is an error naming both', async () => {
    await expect(build(['python', 'greetlib-conda'], ['greetlib==0.9'])).rejects.toMatchObject({
      code: 'solve-failed', message: 'pip requirement greetlib==0.9 conflicts with greetlib 1.0 installed by the conda package greetlib-conda-1.0-py_0.conda',
    });
  });

  it('without the conda package, pip installs greetlib itself', async () => {
    const r = await build(['python'], ['greeter']);
    expect(r.pip).toEqual(['greeter==2.0', 'greetlib==1.0']);
  });

  describe('hash-checking mode', () => {
    it('installs what every listed hash allows', async () => {
      const r = await build(['python'], [
        `greeter==2.0 --hash=sha256:${'0'.repeat(64)} --hash=sha256:${sha('greeter-2.0-py3-none-any.whl')}`,
        `greetlib==1.0 --hash=sha256:${sha('greetlib-1.0-py3-none-any.whl')}`,
      ]);
      expect(r.pip).toEqual(['greeter==2.0', 'greetlib==1.0']);
    });

    it('a wheel whose sha256 is not listed is an error naming the file, and is not downloaded', async () => {
      const before = index.downloads.get('greetlib-1.0-py3-none-any.whl') ?? 0;
      const store = memoryBlobStore();
      await expect(build(['python'], [`greetlib==1.0 --hash=sha256:${sha('greetlib-0.9-py3-none-any.whl')}`], { store })).rejects.toMatchObject({
        code: 'digest-mismatch', message: expect.stringMatching(/^greetlib-1\.0-py3-none-any\.whl: its sha256 [0-9a-f]{64} is not among the --hash values given for greetlib/),
      });
      expect(index.downloads.get('greetlib-1.0-py3-none-any.whl') ?? 0).toBe(before);
      // the conda packages were fetched before the pip step, no wheel
      for (const f of ['greeter-2.0-py3-none-any.whl', 'greetlib-1.0-py3-none-any.whl']) expect(await store.has(`sha256:${sha(f)}`)).toBe(false);
    });

    it('a dependency without a hash, or a requirement without one, is an error naming it', async () => {
      await expect(build(['python'], [`greeter==2.0 --hash=sha256:${sha('greeter-2.0-py3-none-any.whl')}`])).rejects.toMatchObject({
        code: 'requirement-invalid', message: 'hash-checking mode: every distribution needs a --hash, and these have none: greetlib==1.0 (a dependency)',
      });
      await expect(build(['python'], [`greeter==2.0 --hash=sha256:${sha('greeter-2.0-py3-none-any.whl')}`, 'greetlib==1.0'])).rejects.toMatchObject({
        code: 'requirement-invalid', message: 'hash-checking mode (a requirement has --hash): every requirement needs one, and these have none: greetlib==1.0',
      });
    });
  });

  describe('local wheels', () => {
    it('a local wheel installs (relative to the environment.yml) and stands for its project', async () => {
      const r = await build(['python'], ['greeter', './local/greetlib-1.5-py3-none-any.whl']);
      expect(r.pip).toEqual(['greeter==2.0', 'greetlib==1.5']);
      const files = (await layerFiles(r.image)).at(-2)!;
      expect(files).toContain(`${SP}/greetlib-1.5.dist-info/REQUESTED`);
    });

    it('in hash-checking mode a local wheel needs its hash too', async () => {
      const local = createHash('sha256').update(readFileSync(join(tmp, 'local', 'greetlib-1.5-py3-none-any.whl'))).digest('hex');
      const greeter = `greeter==2.0 --hash=sha256:${sha('greeter-2.0-py3-none-any.whl')}`;
      expect((await build(['python'], [greeter, `./local/greetlib-1.5-py3-none-any.whl --hash=sha256:${local}`])).pip).toEqual(['greeter==2.0', 'greetlib==1.5']);
      await expect(build(['python'], [greeter, `./local/greetlib-1.5-py3-none-any.whl --hash=sha256:${'0'.repeat(64)}`])).rejects.toMatchObject({
        code: 'digest-mismatch', message: expect.stringContaining('greetlib-1.5-py3-none-any.whl: its sha256 '),
      });
    });

    it('a local wheel that is not there is an error naming it', async () => {
      await expect(build(['python'], ['./local/absent-1.0-py3-none-any.whl'])).rejects.toMatchObject({
        code: 'invalid-argument', message: `local wheel ${pathToFileURL(join(tmp, 'local', 'absent-1.0-py3-none-any.whl')).href}: no such file`,
      });
    });
  });

  describe('the wheel cache', () => {
    it('a rebuild with the same store downloads no wheel and gives the same image', async () => {
      const store = memoryBlobStore();
      const first = await build(['python'], ['greeter'], { store });
      const digest = await first.image.digest();
      expect(await store.has(`sha256:${sha('greeter-2.0-py3-none-any.whl')}`)).toBe(true);
      const before = new Map(index.downloads);
      const again = await build(['python'], ['greeter'], { store });
      expect(await again.image.digest()).toBe(digest);
      expect(index.downloads).toEqual(before);
    });

    it('a tampered wheel fails naming it, and nothing is cached', async () => {
      const file = 'greetlib-0.9-py3-none-any.whl';
      const store = memoryBlobStore();
      const bytes = new Uint8Array(readFileSync(join(wheels, file)));
      bytes[40] ^= 0xff;
      index.tamper(file, bytes);
      try {
        await expect(build(['python'], ['greetlib==0.9'], { store })).rejects.toMatchObject({
          code: 'digest-mismatch', message: expect.stringContaining(`${file} (${new URL(`../files/${file}`, index.url).href}): `),
        });
      } finally {
        index.tamper(file, undefined);
      }
      expect(await store.has(`sha256:${sha(file)}`)).toBe(false);
      expect(store.size).toBe(1); // python, the one conda package, fetched before the pip step
    });
  });

  describe('a build that fails caches nothing', () => {
    const cases: Array<[string, string[], string[], string, string | RegExp, string?]> = [
      ['a wheel with ../ in a member name', ['python'], ['evilpath'], 'unsafe-path', 'evilpath-1.0-py3-none-any.whl: member "evilpath/../../evil.py" would be installed outside the prefix', 'evilpath-1.0-py3-none-any.whl'],
      ['a wheel whose member is not what its RECORD says', ['python'], ['badrecord'], 'digest-mismatch', /^badrecord-1\.0-py3-none-any\.whl: badrecord\/__init__\.py does not match its RECORD hash/, 'badrecord-1.0-py3-none-any.whl'],
      ['a project with an sdist only', ['python'], ['sdistonly'], 'solve-failed', 'sdistonly: no wheel on the index fits this environment (Python 3.11.4 on linux/amd64 without glibc (pure wheels only); sdists are not built)'],
      ['an unsatisfiable pin', ['python'], ['greeter==9.9'], 'solve-failed', 'pip requirements cannot be satisfied (Python 3.11.4 on linux/amd64 without glibc (pure wheels only)): no version of greeter satisfies greeter==9.9'],
      ['a pin conda\'s version fails', ['python', 'greetlib-conda'], ['greeter', 'greetlib<1'], 'solve-failed', 'pip requirement greetlib<1 conflicts with greetlib 1.0 installed by the conda package greetlib-conda-1.0-py_0.conda'],
    ];
    it.each(cases)('%s: a clear error, and the store holds the conda packages only', async (_, specs, pip, code, message, wheel) => {
      const store = memoryBlobStore();
      await expect(build(specs, pip, { store })).rejects.toMatchObject({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
      // the conda packages were fetched before the pip step; no wheel (nor the sdist) is kept
      expect(store.size).toBe(specs.length);
      if (wheel) expect(await store.has(`sha256:${sha(wheel)}`)).toBe(false);
      expect(index.downloads.get('sdistonly-1.0.tar.gz')).toBeUndefined();
    });
  });

  describe('the lock', () => {
    it('carries the pip packages (the image\'s embedded lock too), and a build from it gives the same image without asking the index', async () => {
      const r = await build(['python'], ['greeter', './local/greetlib-1.5-py3-none-any.whl']);
      expect(r.pipWheels).toEqual([
        { name: 'greeter', version: '2.0', url: new URL('../files/greeter-2.0-py3-none-any.whl', index.url).href, sha256: sha('greeter-2.0-py3-none-any.whl') },
        { name: 'greetlib', version: '1.5', url: pathToFileURL(join(tmp, 'local', 'greetlib-1.5-py3-none-any.whl')).href, sha256: createHash('sha256').update(readFileSync(join(tmp, 'local', 'greetlib-1.5-py3-none-any.whl'))).digest('hex') },
      ]);
      const lock = writeExplicitLock(r.solved, 'linux-64', r.pipWheels);
      let embedded = '';
      await scanLayers(r.image, [{ visit: async (e, body) => { if (e.name === 'opt/conda/conda-meta/explicit.txt') embedded = await new Response(body).text(); } }]);
      expect(embedded).toBe(lock);
      // nothing is resolved: no project page is asked for, the lock's URLs give the wheels
      const pages = index.pages();
      const fromLock = await build(['python'], ['greeter', './local/greetlib-1.5-py3-none-any.whl'], { lock, store: memoryBlobStore() });
      expect(await fromLock.image.digest()).toBe(await r.image.digest());
      expect(index.pages()).toBe(pages);
      expect(fromLock.pipWheels).toEqual(r.pipWheels);
    });

    it('a lock whose wheel was replaced fails naming it', async () => {
      const r = await build(['python'], ['greetlib==0.9']);
      const lock = writeExplicitLock(r.solved, 'linux-64', r.pipWheels.map((w) => ({ ...w, sha256: '0'.repeat(64) })));
      await expect(build(['python'], ['greetlib==0.9'], { lock })).rejects.toMatchObject({ code: 'digest-mismatch', message: expect.stringContaining('greetlib-0.9-py3-none-any.whl (') });
    });
  });

  describe.skipIf(!haveGcc)('binary wheels by tag priority', () => {
    const fileOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    const resolve = async (requirement: string, architecture: string, glibc: string | undefined, python = '3.11.4') =>
      (await resolvePipSection(readPipSection([`--index-url ${index.url}`, requirement]), { python, architecture, fetch: globalThis.fetch, ...(glibc ? { glibc } : {}) })).map((w) => fileOf(w.url));

    it('x86_64 with glibc 2.36: the cp311 manylinux_2_17 wheel of 1.1, not the newer musllinux, manylinux_2_99 or cp312 releases, nor 1.1\'s abi3 or manylinux1 wheels', async () => {
      expect(await resolve('fastadd', 'amd64', '2.36')).toEqual([FASTADD_X86_64]);
    });

    it('glibc 2.12 (older than manylinux2014): 1.1\'s manylinux1 wheel', async () => {
      expect(await resolve('fastadd', 'amd64', '2.12')).toEqual(['fastadd-1.1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64.whl']);
    });

    it('Python 3.12: the cp312 release', async () => {
      expect(await resolve('fastadd', 'amd64', '2.36', '3.12.1')).toEqual(['fastadd-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl']);
    });

    it('arm64 takes the aarch64 wheel, never an x86_64 one', async () => {
      expect(await resolve('fastadd', 'arm64', '2.36')).toEqual(['fastadd-1.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl']);
    });

    it('without glibc (a musl base), the pure release: musllinux wheels are not taken either, as on glibc', async () => {
      expect(await resolve('fastadd', 'amd64', undefined)).toEqual(['fastadd-1.0-py3-none-any.whl']);
      expect(await resolve('fastadd', 'arm64', undefined)).toEqual(['fastadd-1.0-py3-none-any.whl']);
    });

    it('a project with an x86_64 wheel only is an error naming the platform elsewhere', async () => {
      expect(await resolve('fastonly', 'amd64', '2.36')).toEqual(['fastonly-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl']);
      await expect(resolve('fastonly', 'arm64', '2.36')).rejects.toMatchObject({
        code: 'solve-failed', message: 'fastonly: no wheel on the index fits this environment (Python 3.11.4 on linux/arm64 with glibc 2.36; sdists are not built)',
      });
      await expect(resolve('fastonly', 'amd64', undefined)).rejects.toMatchObject({
        code: 'solve-failed', message: 'fastonly: no wheel on the index fits this environment (Python 3.11.4 on linux/amd64 without glibc (pure wheels only); sdists are not built)',
      });
      // a pin of the one release with an x86_64 wheel only: the conflict names the platform too
      await expect(resolve('fastadd==1.2', 'arm64', '2.36')).rejects.toMatchObject({
        code: 'solve-failed', message: 'pip requirements cannot be satisfied (Python 3.11.4 on linux/arm64 with glibc 2.36): no version of fastadd satisfies fastadd==1.2',
      });
    });

    it('a build installs the binary wheel\'s extension into site-packages, executable, with RECORD listing it', async () => {
      const base = glibcBase({ os: 'linux', architecture: 'amd64' }, 'x86_64');
      const fetch = localChannelFetch([channel], globalThis.fetch);
      const r = await buildEnvironment({
        base, specs: ['python'], channels: [channel.url], fetch, repodataFetch: fetch, store: memoryBlobStore(), epoch: 1_700_000_000,
        pip: readPipSection([`--index-url ${index.url}`, 'fastadd']),
      });
      expect(r.pipWheels.map((w) => fileOf(w.url))).toEqual([FASTADD_X86_64]);
      const so = `${SP}/fastadd/_native.cpython-311-x86_64-linux-gnu.so`;
      let mode = 0;
      let record = '';
      await scanLayers(r.image, [{ visit: async (e, body) => {
        if (e.name === so) mode = e.mode;
        if (e.name === `${SP}/fastadd-1.1.dist-info/RECORD`) record = await new Response(body).text();
      } }]);
      expect(mode & 0o777).toBe(0o755);
      expect(record).toMatch(new RegExp(`^fastadd/_native\\.cpython-311-x86_64-linux-gnu\\.so,sha256=[\\w-]{43},\\d+$`, 'm'));
    });
  });

  describe.skipIf(!haveGcc)('a multi-platform build with a pip section', () => {
    const platforms: Platform[] = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
    const buildAll = (pip: string[], bases = platforms.map((p) => ({ platform: p, base: glibcBase(p, p.architecture === 'amd64' ? 'x86_64' : 'aarch64') }))) => {
      const fetch = localChannelFetch([channel], globalThis.fetch);
      return buildEnvironments({
        bases, specs: ['python'], channels: [channel.url], fetch, repodataFetch: fetch, store: memoryBlobStore(), epoch: 1_700_000_000,
        pip: readPipSection([`--index-url ${index.url}`, ...pip]),
      });
    };

    it('resolves the section for each platform: the same pure wheels, each platform\'s binary wheel', async () => {
      const built = await buildAll(['greeter', 'fastadd']);
      expect(built.map((b) => [b.subdir, b.result.pipWheels.map((w) => `${w.name} ${w.url.slice(w.url.lastIndexOf('/') + 1)}`)])).toEqual([
        ['linux-64', ['fastadd ' + FASTADD_X86_64, 'greeter greeter-2.0-py3-none-any.whl', 'greetlib greetlib-1.0-py3-none-any.whl']],
        ['linux-aarch64', ['fastadd fastadd-1.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl', 'greeter greeter-2.0-py3-none-any.whl', 'greetlib greetlib-1.0-py3-none-any.whl']],
      ]);
      // each image has its own wheel's files: the compiled extension on amd64 only
      const natives = await Promise.all(built.map(async (b) => (await layerFiles(b.result.image)).flat().filter((f) => f.startsWith(`${SP}/fastadd/_native`))));
      expect(natives).toEqual([[`${SP}/fastadd/_native.cpython-311-x86_64-linux-gnu.so`], []]);
    });

    it('a platform no wheel fits fails the build naming that platform', async () => {
      await expect(buildAll(['fastonly'])).rejects.toMatchObject({
        code: 'solve-failed', message: 'fastonly: no wheel on the index fits this environment (Python 3.11.4 on linux/arm64 with glibc 2.36; sdists are not built)',
      });
    });
  });

  describe('the CLI', () => {
    async function cli(...args: string[]) {
      let out = '';
      let err = '';
      const saved = process.env.SOURCE_DATE_EPOCH;
      process.env.SOURCE_DATE_EPOCH = '1700000000';
      try {
        const code = await main(args, { write: (x: string) => { out += x; } }, { write: (x: string) => { err += x; } });
        return { code, out, err };
      } finally {
        if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH; else process.env.SOURCE_DATE_EPOCH = saved;
      }
    }

    it('solve --file writes the pip packages into the lock, and build --lock gives the image build --file gives', async () => {
      const base = join(tmp, 'base.tar');
      await writeDockerArchiveTo([{ image: emptyImage(), tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
      const env = join(tmp, 'environment.yml');
      writeFileSync(env, `channels: ["${channel.url}"]\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - greeter\n    - ./local/greetlib-1.5-py3-none-any.whl\n`);
      const solved = await cli('solve', '-b', base, '--file', env, '--cache', join(tmp, 'cli-cache'));
      expect(solved.err).not.toMatch(/error/);
      expect(solved.code).toBe(0);
      expect(solved.out.split('\n').filter((l) => l.startsWith('# pip '))).toEqual([
        `# pip greeter @ ${new URL('../files/greeter-2.0-py3-none-any.whl', index.url).href}#sha256=${sha('greeter-2.0-py3-none-any.whl')}`,
        `# pip greetlib @ ${pathToFileURL(join(tmp, 'local', 'greetlib-1.5-py3-none-any.whl')).href}#sha256=${createHash('sha256').update(readFileSync(join(tmp, 'local', 'greetlib-1.5-py3-none-any.whl'))).digest('hex')}`,
      ]);
      expect(solved.err).toContain('1 packages and 2 pip packages for linux-64');
      writeFileSync(join(tmp, 'lock.txt'), solved.out);
      const fromFile = await cli('build', '-b', base, '-i', 'x/pip:1', '--file', env, '-o', join(tmp, 'a.tar'), '--cache', join(tmp, 'cli-cache'), '--json');
      expect(fromFile.code).toBe(0);
      const fromLock = await cli('build', '-b', base, '-i', 'x/pip:1', '--file', env, '--lock', join(tmp, 'lock.txt'), '-o', join(tmp, 'b.tar'), '--cache', join(tmp, 'cli-cache-2'), '--json');
      expect(fromLock.err).not.toMatch(/error/);
      expect(fromLock.code).toBe(0);
      expect((JSON.parse(fromLock.out) as { digest: string }).digest).toBe((JSON.parse(fromFile.out) as { digest: string }).digest);
      expect(sha256File(join(tmp, 'b.tar'))).toBe(sha256File(join(tmp, 'a.tar')));
    }, 120_000);

    it.skipIf(!haveGcc)('build --platform linux/amd64,linux/arm64 installs each platform\'s wheels; a platform no wheel fits fails naming it', async () => {
      const base = join(tmp, 'base-multi.tar');
      const platforms: Platform[] = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
      await writeDockerArchiveTo([{ platforms: platforms.map((p) => ({ platform: p, image: glibcBase(p, p.architecture === 'amd64' ? 'x86_64' : 'aarch64') })), tags: ['x/base-multi:1'] }],
        Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
      const env = (pip: string) => {
        const f = join(tmp, `env-multi-${pip}.yml`);
        writeFileSync(f, `channels: ["${channel.url}"]\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - greeter\n    - ${pip}\n`);
        return f;
      };
      const built = await cli('build', '-b', base, '-i', 'x/pip-multi:1', '--file', env('fastadd'), '--platform', 'linux/amd64,linux/arm64', '-o', join(tmp, 'multi.tar'), '--cache', join(tmp, 'cli-cache'), '--json');
      expect(built.err).not.toMatch(/error/);
      expect(built.code).toBe(0);
      expect((JSON.parse(built.out) as { platforms: Array<{ platform: string; subdir: string }> }).platforms.map((p) => [p.platform, p.subdir])).toEqual([['linux/amd64', 'linux-64'], ['linux/arm64', 'linux-aarch64']]);
      const pipFiles = async (platform: string) => {
        const r = await cli('inspect', join(tmp, 'multi.tar'), '--platform', platform, '--merged', '--json');
        expect(r.code).toBe(0);
        const merged = (JSON.parse(r.out) as { images: Array<{ merged: Array<{ path: string }> }> }).images[0]!.merged.map((f) => f.path.replace(/^\//, ''));
        return merged.filter((f) => /\/(fastadd|greeter)(-[\d.]+\.dist-info\/WHEEL|\/_native[^/]*)$/.test(f)).sort();
      };
      // the same pure greeter on both; the x86_64 extension on amd64 only, the aarch64 wheel (Root-Is-Purelib: false) on arm64
      expect(await pipFiles('linux/amd64')).toEqual([`${SP}/fastadd-1.1.dist-info/WHEEL`, `${SP}/fastadd/_native.cpython-311-x86_64-linux-gnu.so`, `${SP}/greeter-2.0.dist-info/WHEEL`]);
      expect(await pipFiles('linux/arm64')).toEqual([`${SP}/fastadd-1.1.dist-info/WHEEL`, `${SP}/greeter-2.0.dist-info/WHEEL`]);
      const failed = await cli('build', '-b', base, '-i', 'x/pip-multi:1', '--file', env('fastonly'), '--platform', 'linux/amd64,linux/arm64', '-o', join(tmp, 'multi-2.tar'), '--cache', join(tmp, 'cli-cache'));
      expect(failed.code).not.toBe(0);
      expect(failed.err).toContain('fastonly: no wheel on the index fits this environment (Python 3.11.4 on linux/arm64 with glibc 2.36; sdists are not built)');
    }, 180_000);
  });
});

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

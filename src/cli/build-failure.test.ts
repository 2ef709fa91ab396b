/**
 * `docker-envs build` as a user runs it (the command in its own process): a build that fails in a layer
 * worker thread, and a build interrupted by SIGINT or SIGTERM, end with one error line and exit status,
 * no stack trace, and no `*.partial` file beside the output.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { appendLayers, emptyImage, layerFromBlob } from '../core/image';
import { MediaTypes } from '../core/oci';
import { fixture, haveFixtures, repoRoot } from '../test-support/fixtures';
import { serveFolder, type FolderServer } from '../test-support/serve-folder';

const NOARCH_PYTHON = 'conda/tests/data/test-recipes/noarch/sample_noarch_python-1.0-py_0.conda#07803e8807debd8924e9749cc2513b08c5f1035806dc2fb7ed3cc6c3d33baea5';

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

/** Runs bin/docker-envs.js; `whenPartial` is called once a `*.partial` file appears in `dir`. */
function cli(args: string[], opts: { dir?: string; whenPartial?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((ok, fail) => {
    const child = spawn('node', [join(repoRoot, 'bin', 'docker-envs.js'), ...args], { cwd: repoRoot, env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const poll = opts.whenPartial && setInterval(() => {
      if (readdirSync(opts.dir!).some((f) => f.endsWith('.partial'))) {
        clearInterval(poll);
        opts.whenPartial!(child.pid!);
      }
    }, 5);
    child.on('error', fail);
    child.on('close', (code, signal) => { if (poll) clearInterval(poll); ok({ code, signal, out, err }); });
  });
}

describe.skipIf(!haveFixtures)('docker-envs build: failures and interruptions', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'build-failure-'));
  let server: FolderServer;
  const partials = (dir: string) => readdirSync(dir).filter((f) => f.includes('.partial'));
  beforeAll(async () => {
    server = await serveFolder(fixture('.'));
    writeFileSync(join(tmp, 'noarch-python.txt'), `@EXPLICIT\n${server.base}/${NOARCH_PYTHON}\n`);
    await writeDockerArchiveToFile([{ image: emptyImage(), tags: ['x/base:1'] }], join(tmp, 'empty.tar'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const layering of ['layered', 'single']) {
    it(`a noarch python package without python (--layering ${layering}): one error line, exit 1, no partial file`, { timeout: 120_000 }, async () => {
      const dir = mkdtempSync(join(tmp, `out-${layering}-`));
      const r = await cli(['build', '-b', join(tmp, 'empty.tar'), '-i', 'x/env:1', '--lock', join(tmp, 'noarch-python.txt'), '--layering', layering,
        '-o', join(dir, 'image.tar'), '--cache', join(tmp, 'cache')]);
      expect(r.code).toBe(1);
      const errors = r.err.split('\n').filter((l) => l.startsWith('docker-envs:'));
      expect(errors).toEqual([
        'docker-envs: error [invalid-argument]: sample_noarch_python-1.0-py_0.conda is a noarch: python package: the environment needs python (its X.Y decides site-packages)',
      ]);
      expect(r.err).not.toMatch(/^\s+at |node:internal|triggerUncaughtException/m);
      expect(r.out).toBe('');
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  describe('interrupted while writing the archive', () => {
    let base: string;
    let lock: string;
    beforeAll(async () => {
      // a base whose one layer is 64 MiB of zeros (a sparse file; zeros are an empty tar): copying it into
      // the output takes long enough to interrupt the write
      const zeros = join(tmp, 'zeros.tar');
      writeFileSync(zeros, '');
      truncateSync(zeros, 64 << 20);
      base = join(tmp, 'big.tar');
      await writeDockerArchiveToFile([{ image: appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(zeros), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'zeros' } }]), tags: ['x/base:1'] }], base);
      // a package that installs (the build would succeed if left alone)
      const dummy = 'pixi/tests/data/channels/channels/dummy_channel_1/linux-64/dummy-c-0.1.0-hb0f4dca_0.conda';
      lock = join(tmp, 'dummy.txt');
      writeFileSync(lock, `@EXPLICIT\n${server.base}/${dummy}#${createHash('sha256').update(readFileSync(fixture(dummy))).digest('hex')}\n`);
    }, 180_000);

    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      it(`${signal}: exit ${status}, no partial file, no output`, { timeout: 180_000 }, async () => {
        const dir = mkdtempSync(join(tmp, `out-${signal}-`));
        const r = await cli(['build', '-b', base, '-i', 'x/env:1', '--lock', lock, '-o', join(dir, 'image.tar'), '--cache', join(tmp, 'cache')], {
          dir, whenPartial: (pid) => process.kill(pid, signal),
        });
        expect(r.err).toContain(`docker-envs: interrupted (${signal})`);
        expect(r.code).toBe(status);
        expect(partials(dir)).toEqual([]);
        expect(existsSync(join(dir, 'image.tar'))).toBe(false);
      });
    }
  });
});

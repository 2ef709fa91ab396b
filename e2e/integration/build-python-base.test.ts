/**
 * A base whose conda prefix already holds python (as continuumio/miniconda3 does), then a noarch: python package
 * added to it, by solve and by `--lock` (the lock `docker-envs solve` writes for that base lacks python, as it
 * is installed): the package's files land under that python's site-packages and its entry point's shebang names
 * the prefix's python, in dockerd.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { buildTestChannel } from '../conda-builder/build';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const TAGS = { base: 'docker-envs.test/python-base:1', solved: 'docker-envs.test/python-base-solved:1', locked: 'docker-envs.test/python-base-locked:1' };

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

describe.skipIf(!haveDocker || !busyboxRootfsTar)('noarch python packages on a base whose prefix holds python', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'python-base-'));
  let server: FolderServer;
  let channel: string;
  const pythonBase = join(tmp, 'python-base.tar');
  beforeAll(async () => {
    server = await serveFolder(await buildTestChannel());
    channel = `${server.base}/`;
    const busybox = join(tmp, 'busybox.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/busybox:1'] }], Writable.toWeb(createWriteStream(busybox)) as WritableStream<Uint8Array>);
    // the base: busybox with python in /opt/conda, as a miniconda image has it
    const r = await cli('build', '-b', busybox, '-i', TAGS.base, '-p', 'python', '-c', channel, '-o', pythonBase, '--cache', join(tmp, 'cache'));
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    spawnSync('docker', ['rmi', '-f', ...Object.values(TAGS)], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  /** What the image shows of hello-py: its module under python 3.12's site-packages, the entry point and its run, and conda-meta/history's two revisions (the base's, this build's). */
  const probe = (tag: string) => execFileSync('docker', ['run', '--rm', '--network', 'none', tag, 'sh', '-c',
    'ls /opt/conda/lib/python3.12/site-packages/hello_py; head -1 /opt/conda/bin/hello-py; hello-py; ls /opt/conda/conda-meta | grep -c "^python-3.12.0"; grep -c "^==>" /opt/conda/conda-meta/history'],
  { env: dockerEnv(), encoding: 'utf8' }).split('\n');
  const expected = ['__init__.py', '#!/opt/conda/bin/python', 'python stand-in ran /opt/conda/bin/hello-py', '1', '2', ''];

  it('by solve: the base keeps its python and hello-py goes under it', async () => {
    const out = join(tmp, 'solved.tar');
    const r = await cli('build', '-b', pythonBase, '-i', TAGS.solved, '-p', 'hello-py', '-c', channel, '-o', out, '--cache', join(tmp, 'cache'));
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 packages/);
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    expect(probe(TAGS.solved)).toEqual(expected);
  }, 300_000);

  it('by --lock: the lock `solve` writes for that base (without python) installs the same way', async () => {
    const solved = await cli('solve', '-b', pythonBase, '-p', 'hello-py', '-c', channel, '--cache', join(tmp, 'cache'));
    expect(solved.code).toBe(0);
    expect(solved.out).toMatch(/hello-py-1\.0-py_0\.conda#[0-9a-f]{64}/);
    expect(solved.out).not.toMatch(/python-3/);
    const lock = join(tmp, 'explicit.txt');
    writeFileSync(lock, solved.out);
    const out = join(tmp, 'locked.tar');
    const r = await cli('build', '-b', pythonBase, '-i', TAGS.locked, '--lock', lock, '-o', out, '--cache', join(tmp, 'cache'));
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    expect(probe(TAGS.locked)).toEqual(expected);
  }, 300_000);
});

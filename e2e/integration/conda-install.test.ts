/**
 * Real conda packages linked into /opt/conda on the busybox base, one layer per package plus conda-meta
 * history, loaded into the real dockerd: the relocated files, symlinks, entry points and conda-meta are
 * what a container sees.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { installEnvironment, openCondaPackage } from '../../src/core/conda';
import { appendLayers, emptyImage, layerFromBlob, layerFromTarEntries, setConfig, validate } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/conda-install:1';
const PKGS = [
  'conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  'conda-package-handling/tests/data/cph_test_data-0.0.1-0.tar.bz2',
  'conda/history/tests/data/legacy_repodata/noarch/moto-1.3.7-py_0.tar.bz2',
];

describe.skipIf(!haveDocker || !busyboxRootfsTar || !haveFixtures)('conda packages installed into an image', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'conda-install-'));
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('docker run sees the relocated environment', async () => {
    const pkgs = await Promise.all(PKGS.map(async (rel) => openCondaPackage(await openAsBlob(fixture(rel)), rel.split('/').pop()!)));
    const env = await installEnvironment(pkgs, { pythonVersion: '3.11', epoch: 1_700_000_000 });
    let image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    image = appendLayers(image, [
      ...env.packages.map((p) => ({ layer: layerFromTarEntries(p.entries), history: { created_by: `conda: ${p.dist}` } })),
      { layer: layerFromTarEntries([env.history]), history: { created_by: 'conda-meta/history' } },
    ]);
    image = setConfig(image, { env: { PATH: '/opt/conda/bin:/usr/bin:/bin', CONDA_PREFIX: '/opt/conda' } });
    await validate(image);
    const out = join(tmp, 'env.tar');
    await writeDockerArchiveTo([{ image, tags: [TAG] }], Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
    execFileSync('docker', ['load', '-i', out], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c', [
      'grep ^prefix= /opt/conda/lib/pkgconfig/zlib.pc',
      'readlink /opt/conda/lib/terminfo',
      'head -1 /opt/conda/bin/moto_server',
      'test -f /opt/conda/lib/python3.11/site-packages/moto/__init__.py && echo moto-in-site-packages',
      'ls /opt/conda/conda-meta',
      'echo $CONDA_PREFIX',
    ].join('; ')], { env: dockerEnv(), encoding: 'utf8' });
    expect(run).toBe([
      'prefix=/opt/conda',
      '../share/terminfo',
      '#!/opt/conda/bin/python',
      'moto-in-site-packages',
      'cph_test_data-0.0.1-0.json', 'history', 'moto-1.3.7-py_0.json', 'zlib-1.2.11-h7b6447c_3.json',
      '/opt/conda', '',
    ].join('\n'));
  });
});

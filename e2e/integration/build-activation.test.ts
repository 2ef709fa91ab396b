/**
 * Activation through the entrypoint, on the real Docker engine: conda's test-recipes channel (served on
 * loopback) has a package with an etc/conda/activate.d script; the environment image built on the busybox
 * base gets the entrypoint script, and `docker run` sees what the script exported before the command ran.
 * A second build on top of that image (its conda-meta read back) keeps the installed package and adds one,
 * with the channel's repodata from the cache folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
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

const TAG = 'docker-envs.test/activation:1';
const TAG2 = 'docker-envs.test/activation:2';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

describe.skipIf(!haveDocker || !busyboxRootfsTar || !haveFixtures)('activation scripts run through the entrypoint', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'activation-'));
  let srv: FolderServer;
  let base: string;
  beforeAll(async () => {
    srv = await serveFolder(fixture('conda/tests/data/test-recipes'));
    base = join(tmp, 'base.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  });
  afterAll(async () => {
    await srv?.close();
    spawnSync('docker', ['rmi', '-f', TAG, TAG2], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('docker run sees the activate.d exports; a build on top keeps the installed package', async () => {
    const a = await cli('build', '-b', base, '-i', TAG, '-p', 'activate_deactivate_package', '-c', srv.base, '-o', join(tmp, 'a.tar'), '--cache', join(tmp, 'cache'));
    expect(a.err).not.toMatch(/error/);
    expect(a.code).toBe(0);
    execFileSync('docker', ['load', '-i', join(tmp, 'a.tar')], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, 'sh', '-c', 'echo "$TEST"; echo "$PATH"; echo "$CONDA_PREFIX"'], { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual(['teststringfromactivate', 'teststringfromactivate/bin/test:/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '/opt/conda', '']);
    const entrypoint = JSON.parse(execFileSync('docker', ['image', 'inspect', '-f', '{{json .Config.Entrypoint}}', TAG], { env: dockerEnv(), encoding: 'utf8' }));
    expect(entrypoint).toEqual(['/opt/conda/.docker-envs/entrypoint.sh']);

    // the image just built as the base of another build: its package stays, only the new one is added
    const b = await cli('build', '-b', join(tmp, 'a.tar'), '-i', TAG2, '-p', 'activate_deactivate_package', '-p', 'dependency', '-c', srv.base, '-o', join(tmp, 'b.tar'), '--cache', join(tmp, 'cache'));
    expect(b.err).not.toMatch(/error/);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/\b1 packages? in 2 layers/); // only dependency is installed again
    // the second build read repodata from the cache folder, not the channel
    expect(srv.log.filter((p) => p === '/noarch/repodata.json')).toEqual(['/noarch/repodata.json']);
    execFileSync('docker', ['load', '-i', join(tmp, 'b.tar')], { env: dockerEnv() });
    const ls = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG2, 'sh', '-c', 'ls /opt/conda/conda-meta; echo "$TEST"'], { env: dockerEnv(), encoding: 'utf8' });
    expect(ls.split('\n')).toEqual(['activate_deactivate_package-1.0-0.json', 'dependency-2.0-0.json', 'explicit.txt', 'history', 'teststringfromactivate', '']);
  });
});

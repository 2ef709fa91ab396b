/**
 * The runnable proof of the conda engine: the project's test channel (e2e/conda-builder) installed by
 * `docker-envs build` on the Debian minbase base; in dockerd the script prints its relocated prefix, the
 * compiled program prints the prefix rewritten inside its binary, the entry point's shebang names the
 * prefix's python, PATH and CONDA_PREFIX are set and the activation script ran through the entrypoint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { buildTestChannel } from '../conda-builder/build';
import { debianBaseArchive } from '../harness/debian';
import { dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/conda-proof:1';

describe.skipIf(!haveDocker)('the conda engine on the real engine', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'conda-proof-'));
  let server: FolderServer;
  let channelUrl: string;
  let base: string;
  beforeAll(async () => {
    const channel = await buildTestChannel();
    server = await serveFolder(channel);
    channelUrl = `${server.base}/`;
    base = await debianBaseArchive(tmp);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('script, compiled program, entry point, PATH, CONDA_PREFIX and activation all see /opt/conda', async () => {
    let out = '';
    let err = '';
    const code = await main(['build', '-b', base, '-i', TAG, '-p', 'hello-script', '-p', 'hello-elf', '-p', 'hello-py', '-c', channelUrl, '-o', join(tmp, 'env.tar'), '--cache', join(tmp, 'cache')],
      { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
    expect(err).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(out).toMatch(/4 packages/);
    expect(err).toMatch(/hello-script-post-link\.sh is a link script; it cannot run while the image is built/);
    execFileSync('docker', ['load', '-i', join(tmp, 'env.tar')], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, 'sh', '-c',
      'hello-prefix; hello-elf; head -1 /opt/conda/bin/hello-py; hello-py; echo "$PATH"; echo "$CONDA_PREFIX"; echo "$HELLO_ACTIVATED"'],
    { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual([
      'installed at /opt/conda',
      'compiled program sees /opt/conda/share/hello',
      '#!/opt/conda/bin/python',
      'python stand-in ran /opt/conda/bin/hello-py',
      expect.stringMatching(/^\/opt\/conda\/bin:/),
      '/opt/conda',
      'activated in /opt/conda',
      '',
    ]);
  }, 300_000);
});

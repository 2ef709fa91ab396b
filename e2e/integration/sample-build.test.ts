/**
 * The app's offline sample, from the committed files only: `docker-envs build` with the base archive and the
 * channel of `public/sample/` and the specs of its sample.json, then `docker load` into the harness daemon and
 * `docker run --network none` of the sample's check command: the script (the newer of its two versions), the
 * compiled program (its prefix rewritten inside the binary), the noarch entry point and the activation script.
 * The channel is served from its folder over loopback HTTP; no other host is asked for anything.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { SAMPLE_DIR, type SampleDescription } from '../sample-assets/build';
import { dockerEnv, haveDocker } from '../harness/env';

const sample = JSON.parse(readFileSync(join(SAMPLE_DIR, 'sample.json'), 'utf8')) as SampleDescription;

describe.skipIf(!haveDocker)('the offline sample on the real engine', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sample-build-'));
  let server: FolderServer;
  beforeAll(async () => { server = await serveFolder(join(SAMPLE_DIR, sample.channel)); });
  afterAll(async () => {
    await server?.close();
    spawnSync('docker', ['rmi', '-f', sample.tag], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('builds from public/sample/ alone, loads, and runs its check command', async () => {
    let out = '';
    let err = '';
    const env = join(tmp, 'env.tar');
    const code = await main([
      'build', '-b', join(SAMPLE_DIR, sample.base.path), '-i', sample.tag, ...sample.specs.flatMap((s) => ['-p', s]),
      '-c', `${server.base}/`, '-o', env, '--cache', join(tmp, 'cache'),
    ], { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
    expect(err).not.toMatch(/error|warn/i);
    expect(code).toBe(0);
    expect(out).toMatch(/4 packages/);
    // the channel answered everything: its repodata and the four packages, hello-script in its newer version
    const fetched = server.log.filter((p) => p.endsWith('.conda')).sort();
    expect(fetched).toEqual([
      '/linux-64/hello-elf-1.0-0.conda', '/linux-64/hello-script-2.0-0.conda',
      '/linux-64/python-3.12.0-stand_in_0.conda', '/noarch/hello-py-1.0-py_0.conda',
    ]);
    execFileSync('docker', ['load', '-i', env], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', sample.tag, ...sample.check.command], { env: dockerEnv(), encoding: 'utf8' });
    expect(run).toBe([
      'hello-script 2.0 installed at /opt/conda',
      'hello-elf sees /opt/conda/share/hello',
      'python stand-in ran /opt/conda/bin/hello-py',
      'activated in /opt/conda',
      '',
    ].join('\n'));
    // what sample.json promises the form is what the image does
    expect(run).toBe(sample.check.output);
  }, 300_000);
});

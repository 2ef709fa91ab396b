/**
 * The app's offline sample, from the committed files only and with no network: `docker-envs build` run in a
 * new network namespace (`unshare -n`: not even loopback is up, so no host resolves and no packet leaves)
 * with the base archive and the channel folder of `public/sample/` and the specs of its sample.json; then
 * `docker load` into the harness daemon and `docker run --network none` of the sample's check command: the
 * script (the newer of its two versions), the compiled program (its prefix rewritten inside the binary), the
 * noarch entry point and the activation script. Needs root for `unshare -n` (npm test runs as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIR, type SampleDescription } from '../sample-assets/build';
import { dockerEnv, haveDocker } from '../harness/env';
import { isCI, repoRoot } from '../harness/util';

const sample = JSON.parse(readFileSync(join(SAMPLE_DIR, 'sample.json'), 'utf8')) as SampleDescription;

function canUnshare(): boolean {
  try { execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' }); return true; } catch { return false; }
}
const unshare = canUnshare();
if (haveDocker && !unshare) {
  if (isCI) throw new Error('CI=true: `unshare -n` is needed to build the sample offline (run the tests as root)');
  console.warn('[sample-build] skipped: `unshare -n` needs root');
}

describe.skipIf(!haveDocker || !unshare)('the offline sample on the real engine', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sample-build-'));
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', sample.tag], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('builds from public/sample/ alone in a namespace without network, loads, and runs its check command', () => {
    const env = join(tmp, 'env.tar');
    // the paths as a user types them in a checkout: -b and -c relative to the repository
    const build = spawnSync('unshare', ['-n', 'node', 'bin/docker-envs.js', 'build',
      '-b', relative(repoRoot, join(SAMPLE_DIR, sample.base.path)), '-i', sample.tag, ...sample.specs.flatMap((s) => ['-p', s]),
      '-c', `./${relative(repoRoot, join(SAMPLE_DIR, sample.channel))}`, '-o', env, '--cache', join(tmp, 'cache'),
    ], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
    expect(build.stderr).not.toMatch(/error|warn/i);
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout).toMatch(new RegExp(`^${sample.tag} sha256:[0-9a-f]{64}: 4 packages in \\d+ layers`, 'm'));
    // hello-script solved to the newer of its two versions
    expect(build.stderr).toContain('hello-script-2.0-0.conda');
    expect(build.stderr).not.toContain('hello-script-1.0');
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

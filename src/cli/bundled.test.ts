/** bin/bundled.js: the CLI runs from a bundle that is rebuilt when it is older than any source, else reused. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../test-support/fixtures';

const bundle = join(repoRoot, '.cache', 'bundle', 'cli_run.node.mjs');
const cli = (env: NodeJS.ProcessEnv = {}) =>
  execFileSync('node', [join(repoRoot, 'bin', 'docker-envs.js'), '--version'], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('the bundled CLI', () => {
  it('is built when missing or stale, reused when fresh, and the sources run without it on request', { timeout: 60_000 }, () => {
    expect(cli()).toBe(`docker-envs ${version}\n`);
    // stale: older than every source → rebuilt
    utimesSync(bundle, new Date(1000_000), new Date(1000_000));
    expect(cli()).toBe(`docker-envs ${version}\n`);
    const rebuilt = statSync(bundle).mtimeMs;
    expect(rebuilt).toBeGreaterThan(1000_000_000);
    // fresh → the same file is used again
    expect(cli()).toBe(`docker-envs ${version}\n`);
    expect(statSync(bundle).mtimeMs).toBe(rebuilt);
    expect(readFileSync(bundle, 'utf8')).toContain('useNodeGunzip');
    expect(cli({ DOCKER_ENVS_NO_BUNDLE: '1' })).toBe(`docker-envs ${version}\n`);
  });
});

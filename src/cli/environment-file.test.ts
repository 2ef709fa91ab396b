/**
 * `build --file environment.yml` and `build --lock` read their files with the core's readers: every conda
 * dependency (after a `- pip:` block too, in flow lists too) is installed, `variables` go into the image's
 * Env, and a malformed file or lock line is an error naming its line.
 */
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive } from '../core/archive';
import { haveFixtures } from '../test-support/fixtures';
import type { FolderServer } from '../test-support/serve-folder';
import { dummyChannelAndBase, runCli } from '../test-support/cli';

const cli = runCli;

describe.skipIf(!haveFixtures)('build --file and --lock', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'env-file-'));
  let server: FolderServer;
  let channel: string;
  const base = join(tmp, 'base.tar');
  const build = (...extra: string[]) => cli('build', '-b', base, '-i', 'x/env:1', '-o', join(tmp, 'out.tar'), '--cache', join(tmp, 'cache'), ...extra);
  const config = async () => (await (await readImageArchive(await openAsBlob(join(tmp, 'out.tar')))).images[0].image.config()).config!;
  beforeAll(async () => {
    ({ server, channel } = await dummyChannelAndBase(base));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('installs the dependencies after a pip block, keeps pip as a warning, sets variables in Env', { timeout: 120_000 }, async () => {
    const file = join(tmp, 'environment.yml');
    writeFileSync(file, [
      'name: demo',
      'channels:',
      `  - "${channel}"  # the fixture channel`,
      'dependencies:',
      '  - dummy-c',
      '  - pip:',
      '      - requests==2.31',
      '  - dummy-g   # after the pip block',
      'variables:',
      '  COLOR: "#ff0000"',
      "  GREETING: 'hello # world'",
      'platforms: [linux-64]',
      '',
    ].join('\n'));
    const r = await build('--file', file);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // dummy-c, dummy-g and dummy-g's dependency dummy-b
    expect(r.out).toMatch(/: 3 packages in 4 layers/);
    expect(r.err).toContain('warning: pip packages are not installed: the environment has no python: requests==2.31');
    expect(r.err).toContain('warning: environment.yml line 12: unknown key "platforms" is ignored');
    const c = await config();
    expect(c.Labels?.['org.conda.environment.specs']).toBe('dummy-c dummy-g');
    expect(c.Env).toEqual(expect.arrayContaining(['COLOR=#ff0000', 'GREETING=hello # world', 'CONDA_PREFIX=/opt/conda']));
  });

  it('reads flow lists', { timeout: 120_000 }, async () => {
    const file = join(tmp, 'flow.yml');
    writeFileSync(file, `channels: [${channel}]\ndependencies: [dummy-a, dummy-b]\n`);
    const r = await build('--file', file);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: 3 packages in 4 layers/);
    expect((await config()).Labels?.['org.conda.environment.specs']).toBe('dummy-a dummy-b');
  });

  it('malformed YAML is an error naming its line', async () => {
    const file = join(tmp, 'bad.yml');
    writeFileSync(file, `channels:\n  - ${channel}\ndependencies:\n  - dummy-a\n  dummy-b: [\n`);
    const r = await build('--file', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^docker-envs: error \[environment-invalid\]: environment\.yml line 5: /m);
  });

  it('a lock line that is not a package URL is an error naming its line', async () => {
    const lock = join(tmp, 'lock.txt');
    writeFileSync(lock, `@EXPLICIT\n${channel}/linux-64/dummy-c-0.1.0-hb0f4dca_0.conda\ndummy-b=0.1.0\n`);
    const r = await build('--lock', lock);
    expect(r.code).toBe(1);
    expect(r.err).toBe('docker-envs: error [lock-invalid]: lock line 3: "dummy-b=0.1.0" is not a package URL\n');
  });
});

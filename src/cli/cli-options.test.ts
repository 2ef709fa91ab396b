/**
 * What build's, solve's and diff's options do, seen in what the command writes: --json, --prefix,
 * --max-layers, --platform (one platform; the base's or an error), --file, --entrypoint/--cmd/--label, solve's
 * --cache; a fixture channel on loopback.
 */
import { existsSync, mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive } from '../core/archive';
import { haveFixtures } from '../test-support/fixtures';
import type { FolderServer } from '../test-support/serve-folder';
import { dummyChannelAndBase, runCli } from '../test-support/cli';

const cli = runCli;

const lockNames = (lock: string) => lock.split('\n').filter((l) => l.startsWith('http')).map((l) => /\/([^/]+)-[^-]+-[^-]+\.conda/.exec(l)![1]);

describe.skipIf(!haveFixtures)('build, solve and diff options', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cli-options-'));
  const base = join(tmp, 'base.tar');
  const cache = join(tmp, 'cache');
  let server: FolderServer;
  let channel: string;
  const image = async (path: string) => (await readImageArchive(await openAsBlob(path))).images[0].image;
  beforeAll(async () => {
    ({ server, channel } = await dummyChannelAndBase(base));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('build --json: the image, its digest, packages, layers and output as JSON on stdout; --prefix moves the environment', { timeout: 60_000 }, async () => {
    const out = join(tmp, 'prefixed.tar');
    const r = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '-o', out, '--prefix', '/opt/env', '--cache', cache, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { image: string; digest: string; id: string; packages: number; layers: number; cachedLayers: number; output: string; warnings: string[] };
    const built = await image(out);
    expect(j).toEqual({ image: 'x/env:1', digest: await built.digest(), id: (await built.manifest()).config.digest, packages: 1, layers: 2, cachedLayers: 0, output: out, warnings: [] });
    expect((await built.config()).config?.Env).toContain('CONDA_PREFIX=/opt/env');
    expect((await built.config()).rootfs.diff_ids).toHaveLength(2);
  });

  it('build --max-layers 2: the packages in one layer (plus the config layer) where the default gives each group its own', { timeout: 60_000 }, async () => {
    const layered = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-p', 'dummy-g', '-c', channel, '-o', join(tmp, 'layered.tar'), '--cache', cache);
    expect(layered.out).toMatch(/: 3 packages in 4 layers/);
    const one = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-p', 'dummy-g', '-c', channel, '-o', join(tmp, 'one.tar'), '--max-layers', '2', '--cache', cache);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/: 3 packages in 2 layers/);
    expect((await (await image(join(tmp, 'one.tar'))).config()).rootfs.diff_ids).toHaveLength(2);
  });

  it('build --entrypoint, --cmd, --label: the config holds them (JSON arrays or words; labels beside the build\'s own)', { timeout: 60_000 }, async () => {
    const out = join(tmp, 'settings.tar');
    const r = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '-o', out, '--entrypoint', '["/bin/sh", "-c"]', '--cmd', 'echo hello', '--label', 'org.example.team=builders', '--label', 'tier=test', '--cache', cache);
    expect(r.code).toBe(0);
    const cfg = (await (await image(out)).config()).config!;
    expect(cfg.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(cfg.Cmd).toEqual(['echo', 'hello']);
    expect(cfg.Labels).toMatchObject({ 'org.example.team': 'builders', tier: 'test' });
    const bad = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '-o', out, '--label', 'no-equals-sign', '--cache', cache);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/no-equals-sign/);
  });

  it("build --platform: the base's platform builds; another is an error naming the platforms there are", { timeout: 60_000 }, async () => {
    const ok = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '-o', join(tmp, 'amd64.tar'), '--platform', 'linux/amd64', '--cache', cache);
    expect(ok.code).toBe(0);
    const no = await cli('build', '-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '-o', join(tmp, 'arm64.tar'), '--platform', 'linux/arm64', '--cache', cache);
    expect(no.code).toBe(1);
    expect(no.err).toMatch(/linux\/arm64.*linux\/amd64|linux\/amd64.*linux\/arm64/);
  });

  it('solve --json, --file, --prefix and --platform: what the base lacks, in the prefix asked for', { timeout: 60_000 }, async () => {
    const withB = join(tmp, 'with-b.tar');
    expect((await cli('build', '-b', base, '-i', 'x/with-b:1', '-p', 'dummy-b', '-c', channel, '-o', withB, '--cache', cache)).code).toBe(0);
    const file = join(tmp, 'environment.yml');
    writeFileSync(file, `channels: [${channel}]\ndependencies: [dummy-g]\n`);
    // dummy-g needs dummy-b, which /opt/conda of the base has
    const j = await cli('solve', '-b', withB, '--file', file, '--cache', cache, '--json');
    expect(j.code).toBe(0);
    const solved = JSON.parse(j.out) as { lock: string; packages: number; subdir: string; virtual: string[]; warnings: string[] };
    expect([lockNames(solved.lock), solved.packages, solved.subdir]).toEqual([['dummy-g'], 1, 'linux-64']);
    // another prefix has nothing yet: dummy-b is in the lock too
    const other = await cli('solve', '-b', withB, '--file', file, '--prefix', '/opt/other', '--cache', cache, '-o', join(tmp, 'other.txt'));
    expect(other.code).toBe(0);
    expect(lockNames(readFileSync(join(tmp, 'other.txt'), 'utf8')).sort()).toEqual(['dummy-b', 'dummy-g']);
    const arm = await cli('solve', '-b', withB, '--file', file, '--platform', 'linux/arm64', '--cache', cache);
    expect(arm.code).toBe(1);
    expect(arm.err).toContain('linux/arm64');
  });

  it('solve --cache DIR: the repodata is kept in DIR, not the default folder, and answers once the channel is gone', { timeout: 60_000 }, async () => {
    const own = await dummyChannelAndBase(join(tmp, 'own-base.tar'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(tmp, 'xdg');
    try {
      const kept = join(tmp, 'solve-cache');
      const args = ['solve', '-b', base, '-p', 'dummy-c', '-c', own.channel];
      const first = await cli(...args, '--cache', kept);
      expect([first.code, lockNames(first.out)]).toEqual([0, ['dummy-c']]);
      expect(readdirSync(join(kept, 'repodata')).length).toBeGreaterThan(0);
      expect(existsSync(join(tmp, 'xdg'))).toBe(false);
      await own.server.close();
      const offline = await cli(...args, '--cache', kept);
      expect([offline.code, offline.out]).toEqual([0, first.out]);
      const fresh = await cli(...args, '--cache', join(tmp, 'solve-cache-fresh'));
      expect(fresh.code).toBe(1);
    } finally {
      await own.server.close().catch(() => undefined);
      if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('diff --platform: the platform of each side, or an error when a side has not it', async () => {
    const same = await cli('diff', base, base, '--platform', 'linux/amd64');
    expect(same.code).toBe(0);
    expect(same.out).toContain('the same image');
    const arm = await cli('diff', base, base, '--platform', 'linux/arm64');
    expect(arm.code).toBe(1);
    expect(arm.err).toContain('linux/arm64');
  });
});

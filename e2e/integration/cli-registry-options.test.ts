/**
 * The CLI's registry options against the real distribution registry on loopback: `build --push REF` (with and
 * without -o) gives the image `pull REF` reads back, `--json` on build and pull, pull's progress as plain lines
 * when stderr is not a terminal, `--creds` for a registry that wants a password, and `--insecure` for a
 * registry the CLI would otherwise reach over https (the machine's own host name, which resolves to loopback).
 */
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive } from '../../src/core/archive';
import { dummyChannelAndBase, runCli } from '../../src/test-support/cli';
import { haveFixtures } from '../../src/test-support/fixtures';
import type { FolderServer } from '../../src/test-support/serve-folder';
import { registryInstalled, registryUsers, startRegistry, type Registry } from '../harness/registry';

const cli = runCli;

// the host name: another name of loopback on most machines, which the CLI does not take for loopback (https)
const alias = await lookup(hostname()).then((a) => (a.address.startsWith('127.') ? hostname() : undefined), () => undefined);

describe.skipIf(!haveFixtures || !registryInstalled)('build --push, pull, push: --json, --creds, --insecure', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cli-registry-'));
  const base = join(tmp, 'base.tar');
  const cache = join(tmp, 'cache');
  const writer = `${registryUsers.writer.user}:${registryUsers.writer.password}`;
  let server: FolderServer;
  let channel: string;
  let open: Registry;
  let basic: Registry;
  beforeAll(async () => {
    ({ server, channel } = await dummyChannelAndBase(base));
    open = await startRegistry({ mode: 'open', root: join(tmp, 'open') });
    const htpasswd = join(tmp, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', htpasswd, registryUsers.writer.user, registryUsers.writer.password], { stdio: 'ignore' });
    basic = await startRegistry({ mode: 'basic', root: join(tmp, 'basic'), htpasswd });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await open?.stop();
    await basic?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('build --push REF (no -o) --json: the digest pushed is the one pull --json reads back; pull logs a line per blob', { timeout: 60_000 }, async () => {
    const ref = `${open.host}/x/pushed:1`;
    const b = await cli('build', '-b', base, '-i', 'x/pushed:1', '-p', 'dummy-c', '-c', channel, '--push', ref, '--cache', cache, '--json');
    expect(b.err).not.toMatch(/error/);
    expect(b.code).toBe(0);
    const built = JSON.parse(b.out) as { digest: string; id: string; pushed: string; push: string; output?: string };
    expect(built.output).toBeUndefined();
    expect(built.push).toBe(ref);
    // pushed with gzipped layers: another manifest than the uncompressed one built, the same config
    expect(built.pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
    const out = join(tmp, 'pulled.tar');
    const p = await cli('pull', ref, '-o', out, '--cache', join(tmp, 'pull-cache'), '--json');
    expect(p.code).toBe(0);
    expect(JSON.parse(p.out)).toMatchObject({ ref, manifestDigest: built.pushed, platform: 'linux/amd64', output: out });
    const pulled = (await readImageArchive(await openAsBlob(out))).images[0];
    expect((await pulled.image.manifest()).config.digest).toBe(built.id);
    const layers = await pulled.image.layers();
    // not a terminal: one plain line per layer blob, no carriage returns
    expect(p.err.split('\n').filter((l) => /^ {2}downloaded sha256:[0-9a-f]{12} \(/.test(l))).toHaveLength(layers.length);
    expect(p.err).not.toContain('\r');
  });

  it('build -o FILE --push REF: the archive written and the image pushed', { timeout: 60_000 }, async () => {
    const ref = `${open.host}/x/both:1`;
    const out = join(tmp, 'both.tar');
    const b = await cli('build', '-b', base, '-i', 'x/both:1', '-p', 'dummy-c', '-c', channel, '-o', out, '--push', ref, '--cache', cache);
    expect(b.code).toBe(0);
    const pushed = new RegExp(`→ ${out}, ${ref}@(sha256:[0-9a-f]{64})\n$`).exec(b.out)?.[1];
    expect(pushed).toBeDefined();
    const written = (await (await readImageArchive(await openAsBlob(out))).images[0].image.manifest()).config.digest;
    const pulledOut = join(tmp, 'both-pulled.tar');
    expect(JSON.parse((await cli('pull', ref, '-o', pulledOut, '--json')).out).manifestDigest).toBe(pushed);
    expect((await (await readImageArchive(await openAsBlob(pulledOut))).images[0].image.manifest()).config.digest).toBe(written);
  });

  it('--creds: push, build --push and solve -b on a registry that wants a password fail without it', { timeout: 60_000 }, async () => {
    const baseRef = `${basic.host}/x/base:1`;
    expect((await cli('push', base, baseRef)).code).toBe(1);
    const pushed = await cli('push', base, baseRef, '--creds', writer);
    expect(pushed.code).toBe(0);
    // not a terminal: a plain line per blob uploaded (the empty base: its config)
    expect(pushed.out).toMatch(/: 1 blob\(s\) uploaded/);
    expect(pushed.err).toMatch(/^ {2}uploaded sha256:[0-9a-f]{12} \(\d+ B\)\n$/);
    const solveArgs = ['-b', baseRef, '-p', 'dummy-c', '-c', channel, '--cache', join(tmp, 'creds-cache')];
    const denied = await cli('solve', ...solveArgs);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/401|unauthori[sz]ed|credentials/i);
    expect((await cli('solve', ...solveArgs, '--creds', writer)).code).toBe(0);
    const buildArgs = ['-b', base, '-i', 'x/env:1', '-p', 'dummy-c', '-c', channel, '--push', `${basic.host}/x/env:1`, '--cache', cache];
    expect((await cli('build', ...buildArgs)).code).toBe(1);
    expect((await cli('build', ...buildArgs, '--creds', writer)).code).toBe(0);
  });

  it.skipIf(!alias)('--insecure: plain http to a registry not named as loopback, for push, pull, diff, solve and build', { timeout: 90_000 }, async () => {
    const ref = `${alias}:${open.host.split(':')[1]}/x/insecure:1`;
    const c2 = join(tmp, 'insecure-cache');
    const tls = await cli('push', base, ref);
    expect(tls.code).toBe(1);
    expect((await cli('push', base, ref, '--insecure')).code).toBe(0);
    expect((await cli('pull', ref, '-o', join(tmp, 'i.tar'), '--cache', c2)).code).toBe(1);
    expect((await cli('pull', ref, '-o', join(tmp, 'i.tar'), '--cache', c2, '--insecure')).code).toBe(0);
    expect((await cli('diff', ref, base, '--cache', c2)).code).toBe(1);
    const d = await cli('diff', ref, base, '--cache', c2, '--insecure');
    expect([d.code, d.out]).toEqual([0, expect.stringContaining('the same image')]);
    expect((await cli('solve', '-b', ref, '-p', 'dummy-c', '-c', channel, '--cache', c2)).code).toBe(1);
    expect((await cli('solve', '-b', ref, '-p', 'dummy-c', '-c', channel, '--cache', c2, '--insecure')).code).toBe(0);
    const pushTo = `${alias}:${open.host.split(':')[1]}/x/insecure-env:1`;
    expect((await cli('build', '-b', base, '-i', 'x/e:1', '-p', 'dummy-c', '-c', channel, '--push', pushTo, '--cache', cache)).code).toBe(1);
    expect((await cli('build', '-b', base, '-i', 'x/e:1', '-p', 'dummy-c', '-c', channel, '--push', pushTo, '--cache', cache, '--insecure')).code).toBe(0);
  });
});

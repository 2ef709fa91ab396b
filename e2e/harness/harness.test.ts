/**
 * The harness's own integration tests (run by `npm test` in the integration stage): the busybox rootfs is
 * reproducible and shaped as GNU tar reports it, the daemon handed over in DOCKER_HOST is the private one,
 * and a killed daemon is cleaned up by the next start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBusyboxRootfs, busyboxRootfs } from './busybox';
import { cleanStale, dockerdPaths, startDockerd } from './dockerd';
import { busyboxRootfsSha256, dockerEnv, haveDocker } from './env';
import { cacheDir, cmdline, isAlive, isRoot, runCapture } from './util';

describe.skipIf(!isRoot)('busybox rootfs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'docker-envs-bb-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is byte-identical across builds and matches the cached tar', async () => {
    const cached = await busyboxRootfs();
    const a = await buildBusyboxRootfs(join(scratch, 'a.tar'));
    const b = await buildBusyboxRootfs(join(scratch, 'b.tar'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(cached.sha256).toBe(a);
    if (busyboxRootfsSha256) expect(busyboxRootfsSha256).toBe(a);
  });

  it('has owner 0:0, mtime 0, busybox applet links and a sticky /tmp, per GNU tar', () => {
    const r = runCapture('tar', ['--numeric-owner', '--utc', '-tvf', join(scratch, 'a.tar')], { env: { ...process.env, LC_ALL: 'C' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(250);
    for (const l of lines) expect(l).toMatch(/^\S+ 0\/0 +\d+ 1970-01-01 00:00 /);
    expect(lines).toContain('lrwxrwxrwx 0/0               0 1970-01-01 00:00 bin/sh -> /bin/busybox');
    expect(lines.some((l) => /^-rwxr-xr-x 0\/0 +\d+ 1970-01-01 00:00 bin\/busybox$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('drwxrwxrwt') && l.endsWith(' tmp/'))).toBe(true);
    // names are sorted (--sort=name) and relative: no "./" prefix, no PAX atime/ctime records
    expect(lines.every((l) => !l.includes(' ./'))).toBe(true);
    expect(readFileSync(join(scratch, 'a.tar')).includes('atime=')).toBe(false);
  });
});

describe.skipIf(!haveDocker)('harness dockerd', () => {
  it('answers on its private unix socket with the Debian engine, without a bridge network', () => {
    expect(process.env.DOCKER_HOST).toMatch(/^unix:\/\/\/.+\/docker\.sock$/);
    const v = runCapture('docker', ['version', '--format', '{{.Server.Version}}'], { env: dockerEnv() });
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^20\.10\./);
    const nets = runCapture('docker', ['network', 'ls', '--format', '{{.Name}}'], { env: dockerEnv() });
    expect(nets.stdout.split('\n')).not.toContain('bridge');
  });

  it('cleans up after a daemon that was killed, and stops by PID with its containerd', async () => {
    const base = join(cacheDir, 'dockerd-selftest');
    const paths = dockerdPaths(base);
    const first = await startDockerd({ base });
    const containerd = runCapture('pgrep', ['-P', String(first.pid)]).stdout.trim().split('\n').map(Number).filter(Boolean);
    process.kill(first.pid, 'SIGKILL');
    const second = await startDockerd({ base });
    expect(second.pid).not.toBe(first.pid);
    expect(runCapture('docker', ['version'], { env: { ...process.env, DOCKER_HOST: second.host } }).code).toBe(0);
    await second.stop();
    expect(isAlive(second.pid)).toBe(false);
    for (const pid of containerd) expect(isAlive(pid) && cmdline(pid).includes(paths.execRoot)).toBe(false);
    expect(existsSync(paths.pidfile)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(paths.dataRoot);
    expect(await cleanStale(paths)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
  });
});

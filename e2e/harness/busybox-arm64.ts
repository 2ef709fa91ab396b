/**
 * The busybox rootfs for linux/arm64: the amd64 rootfs (busybox.ts) with `/bin/busybox` replaced by the
 * binary from Debian's `busybox-static:arm64` .deb, re-tarred with the same deterministic GNU tar flags.
 * The .deb comes from `apt-get download` with a private apt state in `.cache/harness/apt-arm64/` where arm64
 * is an extra architecture only inside that private config (the system's dpkg is never touched); the system
 * sources (`/etc/apt/sources.list(.d)`) are the mirror. Cached by the .deb's version and the amd64 rootfs.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs, busyboxVersion, sha256File } from './busybox';
import { cacheDir, runCapture } from './util';

/** Path of the cached arm64 rootfs tar. */
export const busyboxArm64RootfsPath = join(cacheDir, 'busybox-rootfs-arm64.tar');

const aptDir = join(cacheDir, 'apt-arm64');

/** apt-get with a private state/cache and arm64 enabled for this invocation only. */
function privateApt(args: string[], cwd?: string) {
  for (const d of ['state/lists/partial', 'cache/archives/partial']) mkdirSync(join(aptDir, d), { recursive: true });
  if (!existsSync(join(aptDir, 'status'))) writeFileSync(join(aptDir, 'status'), '');
  return runCapture('apt-get', [
    '-q', '-o', `Dir::State=${join(aptDir, 'state')}`, '-o', `Dir::State::status=${join(aptDir, 'status')}`,
    '-o', `Dir::Cache=${join(aptDir, 'cache')}`, '-o', 'APT::Architectures::=amd64', '-o', 'APT::Architectures::=arm64', '-o', 'APT::Sandbox::User=root',
    '-o', 'Debug::NoLocking=1', ...args,
  ], { cwd, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Downloads busybox-static:arm64 (the amd64 version when the mirror has it) into the private cache. */
export function downloadBusyboxArm64(): string {
  const version = busyboxVersion();
  const debs = join(aptDir, 'debs');
  mkdirSync(debs, { recursive: true });
  const have = readdirSync(debs).find((f) => f.startsWith('busybox-static_') && f.endsWith('_arm64.deb'));
  if (have) return join(debs, have);
  const u = privateApt(['update']);
  if (u.code !== 0) throw new Error(`apt-get update (private arm64 state) failed: ${u.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  let r = privateApt(['download', `busybox-static:arm64=${version}`], debs);
  if (r.code !== 0) r = privateApt(['download', 'busybox-static:arm64'], debs);
  if (r.code !== 0) throw new Error(`apt-get download busybox-static:arm64 failed: ${r.stderr.trim()}`);
  const got = readdirSync(debs).find((f) => f.startsWith('busybox-static_') && f.endsWith('_arm64.deb'));
  if (!got) throw new Error('apt-get download busybox-static:arm64 left no .deb');
  return join(debs, got);
}

/** The arm64 rootfs tar (built or cached) and its sha256 hex. */
export async function busyboxArm64Rootfs(): Promise<{ path: string; sha256: string; cached: boolean }> {
  const amd64 = await busyboxRootfs();
  const deb = downloadBusyboxArm64();
  const key = `recipe=1 amd64=${amd64.sha256} deb=${await sha256File(deb)}`;
  const keyFile = `${busyboxArm64RootfsPath}.key`;
  if (existsSync(busyboxArm64RootfsPath) && existsSync(keyFile)) {
    const [k, sha] = readFileSync(keyFile, 'utf8').split('\n');
    if (k === key && sha) return { path: busyboxArm64RootfsPath, sha256: sha, cached: true };
  }
  const stage = mkdtempSync(join(tmpdir(), 'docker-envs-arm64-'));
  try {
    const root = join(stage, 'root');
    const x = join(stage, 'deb');
    mkdirSync(root);
    const t = runCapture('tar', ['-xpf', amd64.path, '-C', root]);
    if (t.code !== 0) throw new Error(`tar -x of the amd64 rootfs failed: ${t.stderr}`);
    const d = runCapture('dpkg-deb', ['-x', deb, x]);
    if (d.code !== 0) throw new Error(`dpkg-deb -x ${deb} failed: ${d.stderr}`);
    const bin = ['bin/busybox', 'usr/bin/busybox'].map((p) => join(x, p)).find((p) => existsSync(p));
    if (!bin) throw new Error(`no busybox binary in ${deb}`);
    copyFileSync(bin, join(root, 'bin/busybox'));
    const tmp = `${busyboxArm64RootfsPath}.${process.pid}.tmp`;
    const r = runCapture('tar', [
      '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0',
      '--pax-option=delete=atime,delete=ctime', '--format=posix', '-C', root, '-cf', tmp, ...readdirSync(root).sort(),
    ], { env: { ...process.env, LC_ALL: 'C' } });
    if (r.code !== 0) throw new Error(`GNU tar failed building the arm64 rootfs: ${r.stderr.trim()}`);
    renameSync(tmp, busyboxArm64RootfsPath);
    const sha256 = await sha256File(busyboxArm64RootfsPath);
    writeFileSync(keyFile, `${key}\n${sha256}\n`);
    return { path: busyboxArm64RootfsPath, sha256, cached: false };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

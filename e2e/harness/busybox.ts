/**
 * A deterministic busybox root filesystem tar, built from Debian's busybox-static with GNU tar, for test
 * images. Same inputs, same bytes: sorted names, numeric owner 0:0, mtime 0, no atime/ctime, PAX format.
 * Cached at `.cache/harness/busybox-rootfs.tar`, keyed by the busybox-static version and binary digest.
 * CLI: `node --import tsx e2e/harness/busybox.ts` builds (or reuses) it, checks it and prints its sha256.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync,
  rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheDir, isMain, isRoot, runCapture, since } from './util';

/** Bump when the recipe below changes, so cached tars are rebuilt. */
const RECIPE = 1;
const BUSYBOX = '/bin/busybox';

/** Path of the cached rootfs tar (uncompressed). */
export const busyboxRootfsPath = join(cacheDir, 'busybox-rootfs.tar');

/** A built rootfs tar. */
export interface BusyboxRootfs {
  /** absolute path of the uncompressed tar */
  path: string;
  /** sha256 hex of the uncompressed tar (its diff_id as a layer) */
  sha256: string;
  /** Debian version of busybox-static */
  version: string;
  /** true when the cached tar was reused */
  cached: boolean;
  /** wall time, milliseconds */
  ms: number;
}

/** sha256 hex of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('error', fail).on('end', () => ok(h.digest('hex')));
  });
}

/** The Debian version of busybox-static, or throws with the install command. */
export function busyboxVersion(): string {
  const r = runCapture('dpkg-query', ['-W', '-f=${Version}', 'busybox-static']);
  if (r.code !== 0 || !existsSync(BUSYBOX)) {
    throw new Error('busybox-static is not installed: apt-get install -y --no-install-recommends busybox-static');
  }
  return r.stdout.trim();
}

/** Lays out the rootfs tree under `root`: /bin/busybox, its applet symlinks, a minimal /etc, /tmp… */
function stageRootfs(root: string): void {
  const dirs: Array<[string, number]> = [
    ['bin', 0o755], ['sbin', 0o755], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['etc', 0o755],
    ['dev', 0o755], ['proc', 0o755], ['sys', 0o755], ['root', 0o700], ['home', 0o755], ['var', 0o755],
    ['tmp', 0o1777],
  ];
  for (const [d, mode] of dirs) { mkdirSync(join(root, d), { recursive: true }); chmodSync(join(root, d), mode); }
  copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = runCapture(BUSYBOX, ['--list-full']).stdout.split('\n').map((l) => l.trim())
    // linuxrc is an init entry point at "/", not a command a container needs
    .filter((l) => l && l !== 'bin/busybox' && l.includes('/'));
  for (const rel of applets) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    symlinkSync('/bin/busybox', join(root, rel));
  }
  const files: Array<[string, string, number]> = [
    ['etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n', 0o644],
    ['etc/group', 'root:x:0:\nnobody:x:65534:\n', 0o644],
    ['etc/os-release', 'NAME="docker-envs test busybox"\nID=busybox\n', 0o644],
  ];
  for (const [rel, text, mode] of files) { writeFileSync(join(root, rel), text); chmodSync(join(root, rel), mode); }
}

/** Builds the rootfs tar at `out` (no cache). Returns its sha256 hex. */
export async function buildBusyboxRootfs(out: string): Promise<string> {
  const stage = mkdtempSync(join(tmpdir(), 'docker-envs-busybox-'));
  try {
    stageRootfs(stage);
    const top = ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr', 'var'];
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const r = runCapture('tar', [
      '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0',
      '--pax-option=delete=atime,delete=ctime', '--format=posix', '-C', stage, '-cf', tmp, ...top,
    ], { env: { ...process.env, LC_ALL: 'C' } });
    if (r.code !== 0) throw new Error(`GNU tar failed building the busybox rootfs: ${r.stderr.trim()}`);
    renameSync(tmp, out);
    return await sha256File(out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Returns the cached rootfs tar, building it when busybox-static or the recipe changed. */
export async function busyboxRootfs(): Promise<BusyboxRootfs> {
  const start = performance.now();
  const version = busyboxVersion();
  const key = `recipe=${RECIPE} busybox-static=${version} binary=${await sha256File(BUSYBOX)}`;
  const keyFile = `${busyboxRootfsPath}.key`;
  if (existsSync(busyboxRootfsPath) && existsSync(keyFile)) {
    const [storedKey, storedSha] = readFileSync(keyFile, 'utf8').split('\n');
    if (storedKey === key && storedSha) {
      return { path: busyboxRootfsPath, sha256: storedSha, version, cached: true, ms: performance.now() - start };
    }
  }
  const sha256 = await buildBusyboxRootfs(busyboxRootfsPath);
  writeFileSync(keyFile, `${key}\n${sha256}\n`);
  return { path: busyboxRootfsPath, sha256, version, cached: false, ms: performance.now() - start };
}

/**
 * Extracts the tar into a temp dir and runs `chroot DIR /bin/sh -c 'echo ok'` (root only).
 * Resolves with '' on success, else with what failed.
 */
export function checkBusyboxRootfs(path: string): string {
  if (!isRoot) return 'chroot needs root: run the check as root';
  const dir = mkdtempSync(join(tmpdir(), 'docker-envs-rootfs-'));
  try {
    const x = runCapture('tar', ['-xf', path, '-C', dir]);
    if (x.code !== 0) return `GNU tar cannot extract ${path}: ${x.stderr.trim()}`;
    const r = runCapture('chroot', [dir, '/bin/sh', '-c', 'echo ok'], { env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin' } });
    return r.code === 0 && r.stdout === 'ok\n' ? '' : `chroot /bin/sh -c 'echo ok' gave ${r.code}: ${r.stdout}${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const t = performance.now();
  const r = await busyboxRootfs();
  const problem = checkBusyboxRootfs(r.path);
  console.log(`[busybox] ${r.path} sha256:${r.sha256} (busybox-static ${r.version}, ` +
    `${r.cached ? 'cached' : 'built'} in ${Math.round(r.ms)} ms, total ${since(t)})`);
  if (problem) { console.error(`[busybox] ${problem}`); process.exitCode = 1; } else console.log('[busybox] chroot echo ok');
}

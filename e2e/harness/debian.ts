/**
 * A Debian bookworm minbase rootfs tar: `debootstrap --variant=minbase bookworm DIR MIRROR`, the mirror read
 * from the system's apt sources. Slow (about a minute), so the tar is cached at
 * `.cache/harness/debian-minbase.tar`, keyed by date-independent inputs (recipe, suite, variant, mirror).
 * Made reproducible: logs, apt lists and caches, machine-id, host files and `-old` backups removed, the
 * shadow "last changed" day fixed, then GNU tar --sort=name --numeric-owner --mtime=@0 without atime/ctime.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openAsBlob, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, setConfig } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { sha256File } from './busybox';
import { cacheDir, runCapture } from './util';

const RECIPE = 1;
const SUITE = 'bookworm';

/** Path of the cached rootfs tar. */
export const debianMinbasePath = join(cacheDir, 'debian-minbase.tar');

/** The first Debian mirror in the system's apt sources (deb822 or one-line), else deb.debian.org. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d')
    ? readdirSync('/etc/apt/sources.list.d').filter((f) => f.endsWith('.sources') || f.endsWith('.list')).map((f) => `/etc/apt/sources.list.d/${f}`)
    : [])];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+)\s*$/m.exec(text);
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    const uri = deb822?.[1] ?? line?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

function runAsync(cmd: string, args: string[], logFile: string): Promise<number> {
  return new Promise((done) => {
    const out: Buffer[] = [];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('error', () => done(127));
    child.on('close', (code) => { writeFileSync(logFile, Buffer.concat(out)); done(code ?? 1); });
  });
}

/** Removes what varies between two debootstraps of the same inputs. */
function scrub(root: string): void {
  const rm = (rel: string) => rmSync(join(root, rel), { recursive: true, force: true });
  for (const rel of ['var/log', 'var/cache/apt', 'var/lib/apt/lists', 'var/cache/ldconfig/aux-cache', 'debootstrap',
    'etc/hostname', 'etc/resolv.conf', 'etc/hosts', 'var/lib/dpkg/status-old', 'var/lib/dpkg/diversions-old',
    'var/cache/debconf/config.dat-old', 'var/cache/debconf/templates.dat-old', 'etc/shadow-', 'etc/gshadow-',
    'etc/passwd-', 'etc/group-', 'etc/subuid-', 'etc/subgid-']) rm(rel);
  for (const d of ['var/log', 'var/cache/apt/archives/partial', 'var/lib/apt/lists/partial']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/machine-id'), '');
  const shadow = join(root, 'etc/shadow');
  if (existsSync(shadow)) {
    writeFileSync(shadow, readFileSync(shadow, 'utf8').split('\n')
      .map((l) => { const f = l.split(':'); if (f.length > 2 && f[2]) f[2] = '19000'; return f.join(':'); }).join('\n'));
  }
}

/** The minbase rootfs tar (built or cached) and its sha256 hex. Throws when debootstrap fails. */
export async function debianMinbaseRootfs(opts: { log?: (l: string) => void } = {}): Promise<{ path: string; sha256: string; cached: boolean; ms: number }> {
  const start = performance.now();
  const mirror = debianMirror();
  const key = `recipe=${RECIPE} suite=${SUITE} variant=minbase arch=amd64 mirror=${mirror}`;
  const keyFile = `${debianMinbasePath}.key`;
  if (existsSync(debianMinbasePath) && existsSync(keyFile)) {
    const [k, sha] = readFileSync(keyFile, 'utf8').split('\n');
    if (k === key && sha) return { path: debianMinbasePath, sha256: sha, cached: true, ms: performance.now() - start };
  }
  if (!existsSync('/usr/sbin/debootstrap')) throw new Error('debootstrap is not installed (apt-get install debootstrap)');
  const root = join(cacheDir, 'debian-minbase.root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  opts.log?.(`debootstrap --variant=minbase ${SUITE} from ${mirror} (cached after this run)`);
  try {
    const code = await runAsync('debootstrap', ['--variant=minbase', '--arch=amd64', SUITE, root, mirror], `${debianMinbasePath}.log`);
    if (code !== 0) throw new Error(`debootstrap exited ${code}; see ${debianMinbasePath}.log`);
    scrub(root);
    const tmp = `${debianMinbasePath}.${process.pid}.tmp`;
    const r = runCapture('tar', ['--sort=name', '--numeric-owner', '--mtime=@0', '--pax-option=delete=atime,delete=ctime',
      '--format=posix', '-C', root, '-cf', tmp, ...readdirSync(root).sort()], { env: { ...process.env, LC_ALL: 'C' } });
    if (r.code !== 0) throw new Error(`GNU tar failed on the debootstrap rootfs: ${r.stderr.trim()}`);
    renameSync(tmp, debianMinbasePath);
    const sha256 = await sha256File(debianMinbasePath);
    writeFileSync(keyFile, `${key}\n${sha256}\n`);
    return { path: debianMinbasePath, sha256, cached: false, ms: performance.now() - start };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Writes the minbase rootfs as a one-layer docker archive at `out` (tagged x/debian:minbase, `bash` as its
 * command, Debian's PATH), the base the conda engine's runnable tests build on.
 */
export async function writeDebianBaseArchive(out: string): Promise<void> {
  const rootfs = await debianMinbaseRootfs();
  const image = setConfig(appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(rootfs.path), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'debootstrap --variant=minbase bookworm' } }]),
    { cmd: ['bash'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  await writeDockerArchiveTo([{ image, tags: ['x/debian:minbase'] }], Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
}

/**
 * The path of the Debian base archive (writeDebianBaseArchive's), for a test that only reads it. Under
 * `npm test` it is written once per run into the run's folder (DOCKER_ENVS_RUN_CACHE, made and removed by
 * run-tests.ts), named by the rootfs's sha256: the files that use it read the same bytes, made by this run's
 * code. It is written to a temporary name and renamed, so a killed write is never taken for the archive, and
 * two files writing it at once each rename the same bytes. Outside a run it is written to `dir`.
 */
export async function debianBaseArchive(dir: string): Promise<string> {
  const runCache = process.env.DOCKER_ENVS_RUN_CACHE;
  if (!runCache) {
    const out = join(dir, 'debian.tar');
    await writeDebianBaseArchive(out);
    return out;
  }
  const out = join(runCache, `debian-minbase-${(await debianMinbaseRootfs()).sha256}.docker.tar`);
  if (existsSync(out)) return out;
  mkdirSync(runCache, { recursive: true });
  const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeDebianBaseArchive(tmp);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

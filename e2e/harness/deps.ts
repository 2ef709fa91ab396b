/**
 * The Debian packages the tests need, and their installation.
 *
 * `ensureDeps()` checks them with one `dpkg-query`; if any is missing and we are root it runs
 * `apt-get update` once and `apt-get install -y --no-install-recommends …`; as another user it prints the one
 * command to run and fails. CLI: `node --import tsx e2e/harness/deps.ts`.
 */
import { isMain, isRoot, runCapture, runInherit, since } from './util';

/** A Debian package the tests rely on, with the binary that proves it is usable. */
export interface DebianDep { pkg: string; bin: string; why: string }

/**
 * Every Debian package the test stages use. Add a row here when a test needs another real peer
 * (for instance `docker-registry` or `apache2-utils` for registry tests).
 */
export const debianDeps: readonly DebianDep[] = [
  { pkg: 'docker.io', bin: '/usr/sbin/dockerd', why: 'dockerd for docker load / docker run checks' },
  { pkg: 'containerd', bin: '/usr/bin/containerd', why: 'runtime dockerd starts as its child' },
  { pkg: 'runc', bin: '/usr/sbin/runc', why: 'OCI runtime for docker run' },
  { pkg: 'skopeo', bin: '/usr/bin/skopeo', why: 'copies and verifies archives and OCI layouts' },
  { pkg: 'umoci', bin: '/usr/bin/umoci', why: 'unpacks OCI images into a rootfs' },
  { pkg: 'busybox-static', bin: '/bin/busybox', why: 'the base rootfs for test images' },
  { pkg: 'chromium', bin: '/usr/bin/chromium', why: 'the browser Playwright drives' },
  { pkg: 'tar', bin: '/usr/bin/tar', why: 'GNU tar, the oracle for tar reading and writing' },
  { pkg: 'docker-registry', bin: '/usr/bin/docker-registry', why: 'the real distribution registry for pull/push tests' },
  { pkg: 'bzip2', bin: '/bin/bzip2', why: 'makes malicious .tar.bz2 packages for the installer tests' },
  { pkg: 'zstd', bin: '/usr/bin/zstd', why: 'the oracle for zstd frames the project writes (repodata shards)' },
  { pkg: 'time', bin: '/usr/bin/time', why: 'GNU time: the bench reads GNU tar\'s peak memory' },
  { pkg: 'iproute2', bin: '/usr/bin/ip', why: 'loopback setup inside network namespaces' },
  { pkg: 'util-linux', bin: '/usr/bin/unshare', why: 'unshare, mount and umount' },
  { pkg: 'apache2-utils', bin: '/usr/bin/htpasswd', why: 'bcrypt htpasswd file of the basic-auth registry' },
  { pkg: 'debootstrap', bin: '/usr/sbin/debootstrap', why: 'the Debian minbase test image' },
  { pkg: 'unzip', bin: '/usr/bin/unzip', why: 'the native peer of the bench\'s environment assembly reads .conda members' },
  { pkg: 'zip', bin: '/usr/bin/zip', why: 'packs malicious .conda packages for the layer job tests' },
  { pkg: 'gcc', bin: '/usr/bin/gcc', why: 'compiles hello-elf of the test channel and of the app\'s offline sample (e2e/conda-builder, e2e/sample-assets)' },
  { pkg: 'binutils', bin: '/usr/bin/as', why: 'assembles and links the linux-64 hello-asm of the multi-platform channel (e2e/conda-builder/multi-platform.ts)' },
  { pkg: 'binutils-aarch64-linux-gnu', bin: '/usr/bin/aarch64-linux-gnu-as', why: 'assembles and links the linux-aarch64 hello-asm (a static program, no libc, so no cross gcc is needed)' },
  { pkg: 'qemu-user', bin: '/usr/bin/qemu-aarch64', why: 'runs the aarch64 hello-asm taken out of a pulled arm64 image (no binfmt registration: the test calls it by name)' },
  { pkg: 'openssl', bin: '/usr/bin/openssl', why: 'the token server\'s signing certificate' },
  { pkg: 'python3', bin: '/usr/bin/python3.11', why: 'the interpreter and standard library of the real python conda package (e2e/conda-builder/python.ts)' },
  { pkg: 'patchelf', bin: '/usr/bin/patchelf', why: 'sets the real python package\'s RPATH to $ORIGIN/../lib' },
  { pkg: 'python3-packaging', bin: '/usr/lib/python3/dist-packages/packaging', why: 'the reference for PEP 440 versions and PEP 508 markers (src/core/pip/pep440-oracle.test.ts)' },
  { pkg: 'libpython3.11-dev', bin: '/usr/include/python3.11/Python.h', why: 'python3.11\'s headers, for the C extension of the binary test wheels (e2e/harness/binary-wheels.ts, compiled by gcc)' },
  { pkg: 'python3-pip-whl', bin: '/usr/share/python-wheels', why: 'pip\'s wheel, run by the real python in dockerd (python -m pip --version)' },
];

/** Outcome of a dependency check. */
export interface DepsResult {
  ok: boolean;
  /** packages that were missing before any installation */
  missing: string[];
  /** packages installed by this run */
  installed: string[];
  /** the command a root user must run, when not ok */
  fix?: string;
  /** wall time of the check (and installation), in milliseconds */
  ms: number;
}

/** Packages from `deps` that dpkg does not report as installed. */
export function missingPackages(deps: readonly DebianDep[] = debianDeps): string[] {
  const names = deps.map((d) => d.pkg);
  const r = runCapture('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names]);
  const installed = new Set(
    r.stdout.split('\n').map((l) => l.trim().split(' ')).filter(([, s]) => s === 'installed').map(([p]) => p),
  );
  return names.filter((n) => !installed.has(n));
}

/** The single command that installs `pkgs` on Debian. */
export function installCommand(pkgs: string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/**
 * Checks the Debian packages and installs the missing ones when running as root.
 * Never throws; look at `ok` and `fix`.
 */
export async function ensureDeps(deps: readonly DebianDep[] = debianDeps): Promise<DepsResult> {
  const start = performance.now();
  const missing = missingPackages(deps);
  if (missing.length === 0) return { ok: true, missing, installed: [], ms: performance.now() - start };
  const fix = installCommand(missing);
  if (!isRoot) return { ok: false, missing, installed: [], fix: `sudo sh -c '${fix}'`, ms: performance.now() - start };
  console.log(`[deps] installing missing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const updated = await runInherit('apt-get', ['update'], { env });
  const code = updated === 0
    ? await runInherit('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env })
    : updated;
  const still = missingPackages(deps);
  return {
    ok: code === 0 && still.length === 0,
    missing,
    installed: missing.filter((p) => !still.includes(p)),
    fix: still.length ? installCommand(still) : undefined,
    ms: performance.now() - start,
  };
}

if (isMain(import.meta.url)) {
  const start = performance.now();
  const r = await ensureDeps();
  if (r.ok) {
    console.log(`[deps] ${debianDeps.length} Debian packages present` +
      (r.installed.length ? ` (installed ${r.installed.join(' ')})` : '') + ` in ${since(start)}`);
  } else {
    console.error(`[deps] missing: ${r.missing.join(' ')}\n[deps] run as root: ${r.fix}`);
    process.exitCode = 1;
  }
}

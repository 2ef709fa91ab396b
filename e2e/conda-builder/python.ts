/**
 * A real `python` conda package made from the machine's Debian python3 (bookworm's 3.11): the interpreter and
 * the standard library laid out as a conda prefix has them (`bin/python3.11`, `python3`/`python` links,
 * `lib/python3.11/`), the shared libraries it needs beyond glibc in `lib/` (found through an RPATH of
 * `$ORIGIN/../lib`, set by Debian's patchelf), the standard library compiled to checked-hash `.pyc` (as a
 * conda python ships its `.pyc`), and an index.json as conda-forge's has it (`python_site_packages_path`,
 * `__glibc` of the machine's libc).
 *
 * Debian's interpreter reads only `dist-packages` outside a venv. A `pyvenv.cfg` does not change that (a
 * venv whose home is its own prefix has `sys.base_prefix == sys.prefix`, which Debian's site module reads as
 * "no venv"), and its site module is frozen into the interpreter, so a changed site.py is never read. The
 * package carries a `sitecustomize.py` with upstream CPython's `getsitepackages` (adding the folder), and
 * sysconfig.py with Debian's scheme choice undone (its `purelib`, where pip installs, is site-packages), as
 * conda's python has them; the builder fails when the Debian text it replaces is not there.
 *
 * Built at test time, cached in `.cache/harness/conda-builder/python-<key>/` by the Debian package versions
 * and this builder's sources.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { cacheDir } from '../harness/util';
import { writePackage, type FileDef, type PackageDef } from './package';

const X_Y = '3.11';
/** The Debian packages the interpreter and standard library come from. */
const PYTHON_DEBS = [`python${X_Y}-minimal`, `libpython${X_Y}-minimal`, `libpython${X_Y}-stdlib`];
/** Standard library files a conda python does not have: Debian's pip guard, and its site hook link (replaced below). */
const LEFT_OUT = new Set(['EXTERNALLY-MANAGED', 'sitecustomize.py']);

/**
 * Debian's site module is frozen into its interpreter (3.11 freezes `site`), so its site.py is never read:
 * this sitecustomize gives it upstream CPython's `getsitepackages` (the one conda's python has) and adds
 * those folders, as site.py would have at the same point of startup.
 */
const SITECUSTOMIZE = `"""conda layout for Debian's interpreter: <prefix>/lib/pythonX.Y/site-packages, as upstream CPython."""
import os
import site
import sys


def getsitepackages(prefixes=None):
    """Upstream CPython's site.getsitepackages: <prefix>/<libdir>/pythonX.Y/site-packages of each prefix."""
    out = []
    for prefix in dict.fromkeys(site.PREFIXES if prefixes is None else prefixes):
        if not prefix:
            continue
        for libdir in dict.fromkeys([sys.platlibdir, "lib"]):
            out.append(os.path.join(prefix, libdir, "python%d.%d" % sys.version_info[:2], "site-packages"))
    return out


site.getsitepackages = getsitepackages
for _dir in getsitepackages():
    if os.path.isdir(_dir):
        site.addsitedir(_dir)
`;
/** Debian's sysconfig picks its posix_local scheme outside a venv: upstream always posix_prefix. */
const SYSCONFIG_DEBIAN = `    if sys.base_prefix != sys.prefix or hasattr(sys, "real_prefix"):
        # virtual environments
        prefix_scheme = 'posix_prefix'
    else:`;
const SYSCONFIG_UPSTREAM = `    if True:
        prefix_scheme = 'posix_prefix'
    else:`;

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });

/** `pkg=version` of installed Debian packages. */
function debVersions(pkgs: string[]): string[] {
  return run('dpkg-query', ['-W', '-f=${Package}=${Version}\\n', ...pkgs]).trim().split('\n');
}

/** The Debian package owning a library path (usrmerge: tried with and without /usr). */
function owner(path: string): string {
  for (const p of [path, path.startsWith('/usr/') ? path.slice(4) : `/usr${path}`]) {
    try { return run('dpkg', ['-S', p]).split(':')[0]; } catch { /* not this spelling */ }
  }
  throw new Error(`no Debian package owns ${path}`);
}

/** soname → path of every library `ldd` lists for these ELF files (the whole closure). */
function neededLibraries(elfs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of elfs) {
    for (const m of run('ldd', [f]).matchAll(/^\s*(\S+) => (\/\S+)/gm)) out.set(m[1], m[2]);
  }
  return out;
}

/** The glibc version of the machine (libc6's upstream version, X.Y). */
function glibcVersion(): string {
  const v = run('dpkg-query', ['-W', '-f=${Version}', 'libc6']).match(/^(\d+\.\d+)/);
  if (!v) throw new Error('cannot read the libc6 version');
  return v[1];
}

function patchText(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${basename(file)}: the Debian text to undo is not there (another Debian python?)`);
  writeFileSync(file, text.replace(from, to));
}

/** The shared libraries (soname → Debian path) beyond glibc that the interpreter and its modules load. */
function sharedLibraries(): { libs: Map<string, string>; debs: string[] } {
  const dynload = `/usr/lib/python${X_Y}/lib-dynload`;
  const modules = readdirSync(dynload).filter((f) => f.endsWith('.so')).map((f) => join(dynload, f));
  const libs = new Map<string, string>();
  const debs = new Set<string>();
  for (const [soname, path] of neededLibraries([`/usr/bin/python${X_Y}`, ...modules])) {
    const deb = owner(realpathSync(path));
    if (deb === 'libc6') continue;
    debs.add(deb);
    libs.set(soname, realpathSync(path));
  }
  return { libs, debs: [...debs] };
}

/** Lays the prefix out in `stage` with these shared libraries. */
function stage(stageDir: string, libs: Map<string, string>): void {
  const lib = join(stageDir, 'lib');
  const stdlib = join(lib, `python${X_Y}`);
  mkdirSync(join(stageDir, 'bin'), { recursive: true });
  mkdirSync(stdlib, { recursive: true });
  cpSync(`/usr/bin/python${X_Y}`, join(stageDir, 'bin', `python${X_Y}`));
  const from = `/usr/lib/python${X_Y}/`;
  const listed = run('dpkg', ['-L', ...PYTHON_DEBS]).split('\n').filter((p) => p.startsWith(from));
  for (const p of listed) {
    const rel = p.slice(from.length);
    if (LEFT_OUT.has(rel) || rel.split('/').includes('__pycache__')) continue;
    const st = lstatSync(p);
    const dest = join(stdlib, rel);
    if (st.isDirectory()) { mkdirSync(dest, { recursive: true }); continue; }
    mkdirSync(join(dest, '..'), { recursive: true });
    if (st.isSymbolicLink()) {
      const target = readlinkSync(p);
      if (target.startsWith('/')) throw new Error(`${p} links outside the standard library (${target})`);
      run('ln', ['-s', target, dest]);
    } else cpSync(p, dest);
  }
  writeFileSync(join(stdlib, 'sitecustomize.py'), SITECUSTOMIZE);
  patchText(join(stdlib, 'sysconfig.py'), SYSCONFIG_DEBIAN, SYSCONFIG_UPSTREAM);
  mkdirSync(join(stdlib, 'site-packages'), { recursive: true });
  writeFileSync(join(stdlib, 'site-packages', 'README.txt'), 'This directory exists so that 3rd party packages can be installed here.  Read the\nsource for site.py for more details.\n');

  // shared libraries beyond glibc, next to the prefix's own, found through RPATH
  const dynload = join(stdlib, 'lib-dynload');
  const modules = readdirSync(dynload).filter((f) => f.endsWith('.so')).map((f) => join(dynload, f));
  const python = join(stageDir, 'bin', `python${X_Y}`);
  for (const [soname, path] of libs) {
    cpSync(path, join(lib, soname));
    run('patchelf', ['--force-rpath', '--set-rpath', '$ORIGIN', join(lib, soname)]);
  }
  run('patchelf', ['--force-rpath', '--set-rpath', '$ORIGIN/../lib', python]);
  for (const m of modules) run('patchelf', ['--force-rpath', '--set-rpath', '$ORIGIN/../..', m]);
  // the standard library's .pyc, checked by source hash (not mtime: the image's mtimes are the build's epoch)
  run(python, ['-I', '-m', 'compileall', '-q', '-j', '1', '--invalidation-mode', 'checked-hash', '-d', `lib/python${X_Y}`, stdlib]);
}

/** Every file and link under `dir`, sorted, as the package's files. */
function filesOf(dir: string): FileDef[] {
  const out: FileDef[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) out.push({ path: relative(dir, p), content: '', symlink: readlinkSync(p) });
      else out.push({ path: relative(dir, p), content: new Uint8Array(readFileSync(p)), mode: statSync(p).mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The built python package: its `.conda` file and repodata record. */
export interface PythonPackage { file: string; fn: string; record: Record<string, unknown>; version: string; debs: string[] }

/** Builds (or reuses) the python package; throws when Debian's python3.11 or patchelf is missing. */
export async function buildPythonPackage(): Promise<PythonPackage> {
  for (const bin of [`/usr/bin/python${X_Y}`, '/usr/bin/patchelf']) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing (apt-get install python3 patchelf)`);
  }
  const sources = ['python.ts', 'package.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\0');
  const { libs, debs: libDebs } = sharedLibraries();
  const debs = debVersions([...PYTHON_DEBS, ...libDebs, 'libc6', 'patchelf']);
  const inputs = [...debs, ...[...libs].map(([s, p]) => `${s}=${p}`), sources].join('\n');
  const key = createHash('sha256').update(inputs).digest('hex').slice(0, 16);
  const root = join(cacheDir, 'conda-builder', `python-${key}`);
  const done = join(root, 'package.json');
  const fileOf = (fn: string) => join(root, 'channel', 'linux-64', fn);
  if (existsSync(done)) {
    const cached = JSON.parse(readFileSync(done, 'utf8')) as Omit<PythonPackage, 'file'>;
    if (existsSync(fileOf(cached.fn))) return { ...cached, file: fileOf(cached.fn) };
  }
  rmSync(root, { recursive: true, force: true });
  const stageDir = join(root, 'prefix');
  mkdirSync(stageDir, { recursive: true });
  stage(stageDir, libs);
  const version = run(join(stageDir, 'bin', `python${X_Y}`), ['-I', '-c', 'import platform; print(platform.python_version())']).trim();
  const def: PackageDef = {
    name: 'python', version, build: `debian_${debVersions([`python${X_Y}-minimal`])[0].split('=')[1].replace(/[^\w.]/g, '_')}`, subdir: 'linux-64',
    depends: [`__glibc >=${glibcVersion()},<3.0.a0`], license: 'Python-2.0', zstdLevel: 3,
    extraIndex: { python_site_packages_path: `lib/python${X_Y}/site-packages` },
    files: [
      ...filesOf(stageDir),
      { path: 'bin/python3', content: '', symlink: `python${X_Y}` },
      { path: 'bin/python', content: '', symlink: `python${X_Y}` },
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  const out = join(root, 'channel');
  const [fn, record] = await writePackage(out, def);
  rmSync(stageDir, { recursive: true, force: true });
  const described: Omit<PythonPackage, 'file'> = { fn, record, version, debs };
  writeFileSync(`${done}.tmp`, JSON.stringify(described, null, 2));
  renameSync(`${done}.tmp`, done);
  return { ...described, file: fileOf(fn) };
}

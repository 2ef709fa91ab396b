/**
 * The project's own `.conda` writer, shared by the test channel (`build.ts`) and the app's offline sample
 * channel (`e2e/sample-assets/`): real packages (a zip of metadata.json, info-*.tar.zst and pkg-*.tar.zst;
 * tars by the project's writer, zstd by the `zstd` command) and a channel folder with one repodata.json per
 * subdir. Everything that goes into the bytes is fixed (timestamps, zip mtimes, member order), so the same
 * definitions and the same tools give the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { writeTar, type TarWriteEntry } from '../../src/core/tar';

/** A conda-forge style binary placeholder: 255 bytes, so any shorter prefix fits. */
export const PLACEHOLDER = ('/home/conda/feedstock_root/build_artifacts/hello_1700000000/_h_env' + '_placehold'.repeat(30)).slice(0, 255);

/**
 * One file of a package; `placeholder` marks it as carrying {@link PLACEHOLDER} in text or binary mode;
 * `symlink` makes it a symbolic link to that (relative) target instead, `content` then unused.
 */
export interface FileDef { path: string; content: Uint8Array | string; mode?: number; placeholder?: 'text' | 'binary'; symlink?: string }

/** One package: its index.json fields, its files, and for noarch python its entry points. */
export interface PackageDef {
  name: string;
  version: string;
  build: string;
  subdir: 'linux-64' | 'linux-aarch64' | 'noarch';
  depends?: string[];
  noarch?: 'python' | 'generic';
  files: FileDef[];
  entryPoints?: string[];
  /** SPDX expression written to index.json; BSD-3-Clause (the project's own) unless given */
  license?: string;
  /** more index.json fields (python's `python_site_packages_path`) */
  extraIndex?: Record<string, unknown>;
  /** zstd level of the members: 19 unless given (a large package takes a lower one to build in seconds) */
  zstdLevel?: number;
}

/**
 * A stand-in `python` (a shell script): no real Python can be built here. It gives noarch python packages
 * their X.Y and answers an entry point's shebang by saying which script it was asked to run.
 */
export const PYTHON_STAND_IN: PackageDef = {
  name: 'python', version: '3.12.0', build: 'stand_in_0', subdir: 'linux-64', files: [
    { path: 'bin/python', mode: 0o755, content: '#!/bin/sh\n# a stand-in for python: runs the entry point scripts\' check, nothing else\necho "python stand-in ran $1"\n' },
  ],
};

/** The project's own noarch python package: one module and a console entry point. */
export const HELLO_PY: PackageDef = {
  name: 'hello-py', version: '1.0', build: 'py_0', subdir: 'noarch', noarch: 'python', depends: ['python'], entryPoints: ['hello-py = hello_py:main'], files: [
    { path: 'site-packages/hello_py/__init__.py', content: 'def main():\n    print("entry point ok")\n' },
  ],
};

const enc = new TextEncoder();
const bytes = (c: Uint8Array | string) => (typeof c === 'string' ? enc.encode(c) : c);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function tarBytes(entries: TarWriteEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(writeTar(entries)).arrayBuffer());
}
function zstd(data: Uint8Array, level = 19): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', `-${level}`, '--no-check'], { input: data, maxBuffer: 2 ** 31 - 1 }));
}

/** Writes one .conda under `channel/<subdir>/`; returns its file name and repodata record. */
export async function writePackage(channel: string, p: PackageDef): Promise<[string, Record<string, unknown>]> {
  const dist = `${p.name}-${p.version}-${p.build}`;
  const index = { name: p.name, version: p.version, build: p.build, build_number: 0, depends: p.depends ?? [], subdir: p.subdir, license: p.license ?? 'BSD-3-Clause', timestamp: 1700000000000, ...(p.noarch ? { noarch: p.noarch } : {}), ...p.extraIndex };
  const paths = p.files.map((f) => (f.symlink !== undefined ? { _path: f.path, path_type: 'softlink', size_in_bytes: 0 } : {
    _path: f.path, path_type: 'hardlink', sha256: sha(bytes(f.content)), size_in_bytes: bytes(f.content).byteLength,
    ...(f.placeholder ? { prefix_placeholder: PLACEHOLDER, file_mode: f.placeholder } : {}),
  }));
  const info: TarWriteEntry[] = [
    { name: 'info/index.json', type: 'file', body: enc.encode(JSON.stringify(index, null, 2)) },
    { name: 'info/paths.json', type: 'file', body: enc.encode(JSON.stringify({ paths, paths_version: 1 }, null, 2)) },
    ...(p.entryPoints ? [{ name: 'info/link.json', type: 'file' as const, body: enc.encode(JSON.stringify({ noarch: { type: 'python', entry_points: p.entryPoints }, package_metadata_version: 1 })) }] : []),
  ];
  const pkg: TarWriteEntry[] = p.files.map((f) => (f.symlink !== undefined
    ? { name: f.path, type: 'symlink', linkname: f.symlink, mode: 0o777 }
    : { name: f.path, type: 'file', mode: f.mode ?? 0o644, body: bytes(f.content) }));
  const zip = zipSync({
    'metadata.json': enc.encode('{"conda_pkg_format_version": 2}'),
    [`pkg-${dist}.tar.zst`]: zstd(await tarBytes(pkg), p.zstdLevel),
    [`info-${dist}.tar.zst`]: zstd(await tarBytes(info), p.zstdLevel),
  }, { level: 0, mtime: new Date(1980, 0, 1) });
  const fn = `${dist}.conda`;
  mkdirSync(join(channel, p.subdir), { recursive: true });
  writeFileSync(join(channel, p.subdir, fn), zip);
  return [fn, { ...index, sha256: sha(zip), md5: createHash('md5').update(zip).digest('hex'), size: zip.byteLength }];
}

/** A package already in a channel folder: its subdir, file name and repodata record. */
export interface ChannelRecord { subdir: string; fn: string; record: Record<string, unknown> }

/**
 * Writes a repodata.json for linux-64 and noarch (each written, even when empty) and any other subdir the
 * records name; `.tar.bz2` records go under `packages`, `.conda` ones under `packages.conda`.
 */
export function writeRepodata(channel: string, records: ChannelRecord[]): void {
  const repodata: Record<string, { info: { subdir: string }; packages: Record<string, unknown>; 'packages.conda': Record<string, unknown>; repodata_version: number }> = {};
  const subdir = (s: string) => (repodata[s] ??= { info: { subdir: s }, packages: {}, 'packages.conda': {}, repodata_version: 1 });
  subdir('linux-64');
  subdir('noarch');
  for (const r of records) subdir(r.subdir)[r.fn.endsWith('.conda') ? 'packages.conda' : 'packages'][r.fn] = r.record;
  for (const [sub, rd] of Object.entries(repodata)) {
    mkdirSync(join(channel, sub), { recursive: true });
    writeFileSync(join(channel, sub, 'repodata.json'), JSON.stringify(rd, null, 2));
  }
}

/** Writes every package and the channel's repodata.json files. */
export async function writeChannel(channel: string, pkgs: PackageDef[]): Promise<void> {
  const records: ChannelRecord[] = [];
  for (const p of pkgs) {
    const [fn, record] = await writePackage(channel, p);
    records.push({ subdir: p.subdir, fn, record });
  }
  writeRepodata(channel, records);
}

/** Compiles one C file with `gcc -static` (plus `flags`) in `workDir`; returns the ELF's bytes. */
export function compileStatic(workDir: string, name: string, source: string, flags: string[] = []): Uint8Array {
  const src = join(workDir, `${name}.c`);
  const out = join(workDir, name);
  mkdirSync(workDir, { recursive: true });
  writeFileSync(src, source);
  execFileSync('gcc', ['-static', ...flags, '-o', out, src]);
  return new Uint8Array(readFileSync(out));
}

/**
 * Assembles one assembly file and links it into a static program with no libc, as `<prefix>as` and
 * `<prefix>ld -s --build-id=none` (prefix '' for the host's binutils, `aarch64-linux-gnu-` for Debian's
 * cross binutils) in `workDir`; returns the ELF's bytes.
 */
export function assembleStatic(workDir: string, name: string, source: string, toolPrefix = ''): Uint8Array {
  const src = join(workDir, `${name}.s`);
  const obj = join(workDir, `${name}.o`);
  const out = join(workDir, name);
  mkdirSync(workDir, { recursive: true });
  writeFileSync(src, source);
  const run = (tool: string, args: string[]) => {
    try {
      execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`${tool} is not installed (apt-get install ${toolPrefix ? `binutils-${toolPrefix.slice(0, -1)}` : 'binutils'})`, { cause: e });
      }
      throw e;
    }
  };
  run(`${toolPrefix}as`, ['-o', obj, src]);
  run(`${toolPrefix}ld`, ['-s', '--build-id=none', '-o', out, obj]);
  return new Uint8Array(readFileSync(out));
}

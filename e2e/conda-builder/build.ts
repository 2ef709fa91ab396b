/**
 * The project's own test-package builder: writes real `.conda` packages (zip of metadata.json,
 * info-*.tar.zst, pkg-*.tar.zst; tars by the project's writer, zstd by the `zstd` command) and a channel
 * with repodata.json, for what the fixtures lack: a shell script with a text placeholder and an activation
 * script, a real ELF program (gcc -static) that embeds the placeholder as a string, a noarch python package
 * with an entry point, a post-link script, and a stand-in `python` (a shell script: no real Python can be
 * built here, it only gives noarch packages their X.Y and answers the entry point's shebang).
 * Built into `.cache/conda-builder/channel`, cached by the builder's own source digest.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { writeTar, type TarWriteEntry } from '../../src/core/tar';
import { cacheDir } from '../harness/util';

/** A conda-forge style binary placeholder: 255 bytes, so any shorter prefix fits. */
export const PLACEHOLDER = ('/home/conda/feedstock_root/build_artifacts/hello_1700000000/_h_env' + '_placehold'.repeat(30)).slice(0, 255);

interface FileDef { path: string; content: Uint8Array | string; mode?: number; placeholder?: 'text' | 'binary' }
interface PackageDef { name: string; version: string; build: string; subdir: 'linux-64' | 'noarch'; depends?: string[]; noarch?: 'python' | 'generic'; files: FileDef[]; entryPoints?: string[] }

const enc = new TextEncoder();
const bytes = (c: Uint8Array | string) => (typeof c === 'string' ? enc.encode(c) : c);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function tarBytes(entries: TarWriteEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(writeTar(entries)).arrayBuffer());
}
function zstd(data: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', '-19', '--no-check'], { input: data }));
}

/** Writes one .conda; returns its repodata record. */
async function writePackage(dir: string, p: PackageDef): Promise<[string, Record<string, unknown>]> {
  const dist = `${p.name}-${p.version}-${p.build}`;
  const index = { name: p.name, version: p.version, build: p.build, build_number: 0, depends: p.depends ?? [], subdir: p.subdir, license: 'BSD-3-Clause', timestamp: 1700000000000, ...(p.noarch ? { noarch: p.noarch } : {}) };
  const paths = p.files.map((f) => ({
    _path: f.path, path_type: 'hardlink', sha256: sha(bytes(f.content)), size_in_bytes: bytes(f.content).byteLength,
    ...(f.placeholder ? { prefix_placeholder: PLACEHOLDER, file_mode: f.placeholder } : {}),
  }));
  const info: TarWriteEntry[] = [
    { name: 'info/index.json', type: 'file', body: enc.encode(JSON.stringify(index, null, 2)) },
    { name: 'info/paths.json', type: 'file', body: enc.encode(JSON.stringify({ paths, paths_version: 1 }, null, 2)) },
    ...(p.entryPoints ? [{ name: 'info/link.json', type: 'file' as const, body: enc.encode(JSON.stringify({ noarch: { type: 'python', entry_points: p.entryPoints }, package_metadata_version: 1 })) }] : []),
  ];
  const pkg: TarWriteEntry[] = p.files.map((f) => ({ name: f.path, type: 'file', mode: f.mode ?? 0o644, body: bytes(f.content) }));
  const zip = zipSync({
    'metadata.json': enc.encode('{"conda_pkg_format_version": 2}'),
    [`pkg-${dist}.tar.zst`]: zstd(await tarBytes(pkg)),
    [`info-${dist}.tar.zst`]: zstd(await tarBytes(info)),
  }, { level: 0, mtime: new Date(1980, 0, 1) });
  const fn = `${dist}.conda`;
  mkdirSync(join(dir, p.subdir), { recursive: true });
  writeFileSync(join(dir, p.subdir, fn), zip);
  return [fn, { ...index, sha256: sha(zip), md5: createHash('md5').update(zip).digest('hex'), size: zip.byteLength }];
}

/** The C program: prints the prefix it was relocated to (the string is found and rewritten by the installer). */
const HELLO_C = `#include <stdio.h>\nstatic const char where[] = "${PLACEHOLDER}/share/hello";\nint main(void) { printf("compiled program sees %s\\n", where); return 0; }\n`;

function compile(dir: string): Uint8Array {
  writeFileSync(join(dir, 'hello.c'), HELLO_C);
  execFileSync('gcc', ['-static', '-O1', '-o', join(dir, 'hello-elf'), join(dir, 'hello.c')]);
  return new Uint8Array(readFileSync(join(dir, 'hello-elf')));
}

/** Builds (or reuses) the test channel; returns its folder (serve it over HTTP). */
export async function buildTestChannel(): Promise<string> {
  const key = sha(enc.encode(readFileSync(new URL(import.meta.url)).toString())).slice(0, 16);
  const root = join(cacheDir, 'conda-builder', key);
  const channel = join(root, 'channel');
  if (existsSync(join(channel, 'linux-64', 'repodata.json'))) return channel;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(channel, { recursive: true });
  const elf = compile(root);
  const pkgs: PackageDef[] = [
    { name: 'python', version: '3.12.0', build: 'stand_in_0', subdir: 'linux-64', files: [
      { path: 'bin/python', mode: 0o755, content: '#!/bin/sh\n# a stand-in for python: runs the entry point scripts\' check, nothing else\necho "python stand-in ran $1"\n' },
    ] },
    { name: 'hello-script', version: '1.0', build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-prefix', mode: 0o755, placeholder: 'text', content: `#!/bin/sh\necho "installed at ${PLACEHOLDER}"\n` },
      { path: 'etc/conda/activate.d/hello.sh', placeholder: 'text', content: `export HELLO_ACTIVATED="activated in ${PLACEHOLDER}"\n` },
      { path: 'bin/.hello-script-post-link.sh', mode: 0o755, content: '#!/bin/sh\necho "post-link would run here"\n' },
    ] },
    { name: 'hello-elf', version: '1.0', build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-elf', mode: 0o755, placeholder: 'binary', content: elf },
    ] },
    { name: 'hello-py', version: '1.0', build: 'py_0', subdir: 'noarch', noarch: 'python', depends: ['python'], entryPoints: ['hello-py = hello_py:main'], files: [
      { path: 'site-packages/hello_py/__init__.py', content: 'def main():\n    print("entry point ok")\n' },
    ] },
  ];
  const repodata: Record<string, { info: { subdir: string }; packages: Record<string, unknown>; 'packages.conda': Record<string, unknown>; repodata_version: number }> = {
    'linux-64': { info: { subdir: 'linux-64' }, packages: {}, 'packages.conda': {}, repodata_version: 1 },
    noarch: { info: { subdir: 'noarch' }, packages: {}, 'packages.conda': {}, repodata_version: 1 },
  };
  for (const p of pkgs) {
    const [fn, rec] = await writePackage(channel, p);
    repodata[p.subdir]['packages.conda'][fn] = rec;
  }
  for (const [sub, rd] of Object.entries(repodata)) {
    mkdirSync(join(channel, sub), { recursive: true });
    writeFileSync(join(channel, sub, 'repodata.json'), JSON.stringify(rd, null, 2));
  }
  return channel;
}

/**
 * A channel folder with the real python (`python.ts`), the project's own noarch python packages, and the
 * shared fixtures' noarch python packages whose dependencies all are in the channel (linked or copied into a
 * temporary folder, never into the repository). Fixture packages with a dependency the channel lacks are left
 * out and returned with what is missing, so a test can name them.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, openAsBlob, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openCondaPackage } from '../../src/core/conda/package';
import { fixture } from '../../src/test-support/fixtures';
import { HELLO_PY, writePackage, writeRepodata, type ChannelRecord, type PackageDef } from './package';
import { buildPythonPackage, type PythonPackage } from './python';

/** Every noarch: python package of the shared fixtures (see the fixtures' CATALOGUE.md). */
export const FIXTURE_NOARCH_PYTHON = [
  'conda-index/tests/archives/conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2',
  'conda/tests/data/test-recipes/noarch/sample_noarch_python-1.0-py_0.conda',
  'rattler/test-data/clobber/clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2',
  'rattler/test-data/clobber/clobber-pynoarch-2-0.1.0-pyh4616a5c_0.tar.bz2',
  'conda-index/tests/archives/flask-0.11.1-py_0.tar.bz2',
  'conda/history/tests/data/legacy_repodata/noarch/moto-1.3.7-py_0.tar.bz2',
];

/**
 * A second project package: a console entry point into a submodule (`module.sub:function`) that answers
 * `--version` through argparse, and a module importing a sibling, so the entry point script's import line and
 * relative imports are exercised by the real interpreter.
 */
export const HELLO_CLI: PackageDef = {
  name: 'hello-cli', version: '2.1', build: 'py_0', subdir: 'noarch', noarch: 'python', depends: ['python >=3.8'], entryPoints: ['hello-cli = hello_cli.cli:main'], files: [
    { path: 'site-packages/hello_cli/__init__.py', content: '__version__ = "2.1"\n' },
    { path: 'site-packages/hello_cli/cli.py', content: 'import argparse\nimport sys\n\nfrom . import __version__\n\n\ndef main():\n    p = argparse.ArgumentParser(prog="hello-cli")\n    p.add_argument("--version", action="version", version=f"hello-cli {__version__} on {sys.executable}")\n    p.parse_args()\n    print("hello-cli ran")\n    return 0\n' },
  ],
};

/** The project's own noarch python packages the channel carries. */
export const OWN_NOARCH_PYTHON: PackageDef[] = [HELLO_PY, HELLO_CLI];

/** A fixture package in the channel or left out, with its name and the dependencies the channel lacks. */
export interface FixturePackage { fixture: string; name: string; fn: string; depends: string[]; missing: string[] }

/** What {@link writePythonChannel} put in the folder. */
export interface PythonChannel { dir: string; python: PythonPackage; fixtures: FixturePackage[]; own: string[] }

const depName = (spec: string) => spec.trim().split(/[\s=<>!~[]/)[0].toLowerCase();

/** Hardlinks `from` to `to`, or copies it where the two are on different file systems. */
function linkOrCopy(from: string, to: string): void {
  try { linkSync(from, to); } catch { copyFileSync(from, to); }
}

/** Writes the channel into `dir` (a fresh temporary folder). */
export async function writePythonChannel(dir: string): Promise<PythonChannel> {
  const python = await buildPythonPackage();
  const records: ChannelRecord[] = [];
  mkdirSync(join(dir, 'linux-64'), { recursive: true });
  linkOrCopy(python.file, join(dir, 'linux-64', python.fn));
  records.push({ subdir: 'linux-64', fn: python.fn, record: python.record });
  for (const p of OWN_NOARCH_PYTHON) {
    const [fn, record] = await writePackage(dir, p);
    records.push({ subdir: p.subdir, fn, record });
  }
  const opened = await Promise.all(FIXTURE_NOARCH_PYTHON.map(async (rel) => {
    const path = fixture(rel);
    const fn = basename(path);
    const pkg = await openCondaPackage(await openAsBlob(path), fn);
    return { rel, path, fn, index: pkg.index as unknown as Record<string, unknown> & { name: string; depends?: string[] } };
  }));
  // a fixture is in when every dependency is in the channel; left-out ones take their dependants with them
  const available = new Set([...records.map((r) => String(r.record.name)), ...opened.map((o) => o.index.name)]);
  const missingOf = (o: typeof opened[number]) => (o.index.depends ?? []).map(depName).filter((n) => !n.startsWith('__') && !available.has(n));
  for (let changed = true; changed;) {
    changed = false;
    for (const o of opened) if (available.has(o.index.name) && missingOf(o).length) { available.delete(o.index.name); changed = true; }
  }
  const fixtures: FixturePackage[] = [];
  for (const o of opened) {
    const depends = o.index.depends ?? [];
    const missing = missingOf(o);
    fixtures.push({ fixture: o.rel, name: o.index.name, fn: o.fn, depends, missing });
    if (missing.length) continue;
    mkdirSync(join(dir, 'noarch'), { recursive: true });
    linkOrCopy(o.path, join(dir, 'noarch', o.fn));
    const bytes = readFileSync(o.path);
    records.push({ subdir: 'noarch', fn: o.fn, record: {
      ...o.index, depends, subdir: 'noarch',
      sha256: createHash('sha256').update(bytes).digest('hex'), md5: createHash('md5').update(bytes).digest('hex'), size: bytes.byteLength,
    } });
  }
  writeRepodata(dir, records);
  return { dir, python, fixtures, own: OWN_NOARCH_PYTHON.map((p) => p.name) };
}

/**
 * Linking packages into a prefix (CONDA.md): every path a package lists becomes a tar entry under the
 * prefix, relocated where it carries a placeholder, noarch python moved into lib/pythonX.Y/site-packages
 * with entry points written to bin/, plus the conda-meta record. Same inputs → same entries and bytes.
 */
import { sha256 } from '../digest';
import { CoreError } from '../errors';
import { sortTarEntries, type TarWriteEntry } from '../tar';
import type { PathEntry } from './metadata';
import type { CondaPackage } from './package';
import { PayloadBodies } from './payload-bodies';
import { replaceBinary, replaceText, fixLongShebang } from './relocate';

/** Where a package came from (the repodata record); written into conda-meta as is — never a proxy URL. */
export interface PackageOrigin {
  url: string;
  channel: string;
  md5?: string;
  sha256?: string;
  size?: number;
  requested_spec?: string;
}

/** Options of installPackage. */
export interface InstallOptions {
  /** absolute install prefix, default /opt/conda */
  prefix?: string;
  /** X.Y of the environment's python, needed for noarch: python packages */
  pythonVersion?: string;
  /** mtime of every entry (seconds; SOURCE_DATE_EPOCH) */
  epoch?: number;
  origin?: PackageOrigin;
  /** reads file bodies a payload at a time; share one across the packages of an environment (default: one per call) */
  bodies?: PayloadBodies;
  /**
   * The package's payload, when it is in memory, is this call's to change and outlives the entries: binary
   * files are relocated inside it (the replacement keeps their length) and files left unchanged are views of
   * it, instead of copies of each relocated file. A layer job's buffers are (layer-job.ts).
   */
  relocateInPlace?: boolean;
}

/** A package linked into the prefix: its tar entries (paths without a leading '/') and its record. */
export interface InstalledPackage {
  name: string;
  /** `<name>-<version>-<build>` */
  dist: string;
  entries: TarWriteEntry[];
  /** the conda-meta/<dist>.json record */
  record: Record<string, unknown>;
  /** prefix-relative paths the package installs (files and links) */
  files: string[];
  /** post-link / pre-unlink scripts found (never run at build time) */
  linkScripts: string[];
  /** .pyc files left out (they cannot be compiled without Python) */
  skippedPyc: string[];
  warnings: string[];
}

const LINK_SCRIPT = /(^|\/)\.[^/]+-(pre-link|post-link|pre-unlink)\.(sh|bat)$/;

/** The path a noarch python file lands at, relative to the prefix. */
function targetPath(p: string, noarchPython: boolean, py?: string): string {
  if (!noarchPython) return p;
  if (p.startsWith('site-packages/')) return `lib/python${py}/site-packages/${p.slice('site-packages/'.length)}`;
  if (p.startsWith('python-scripts/')) return `bin/${p.slice('python-scripts/'.length)}`;
  return p;
}

/** conda's entry point script for `name = module:function`. */
export function entryPointScript(prefix: string, spec: string): { name: string; body: Uint8Array } {
  const m = spec.match(/^\s*([^=\s]+)\s*=\s*([\w.]+)\s*:\s*([\w.]+)\s*$/);
  if (!m) throw new CoreError('archive-invalid', `entry point "${spec}" is not "name = module:function"`);
  const [, name, module, func] = m;
  const text = `#!${prefix}/bin/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n\nfrom ${module} import ${func.split('.')[0]}\n\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n    sys.exit(${func}())\n`;
  return { name, body: fixLongShebang(new TextEncoder().encode(text)) };
}

/** Links one package; throws on unsafe or inconsistent input. */
export async function installPackage(pkg: CondaPackage, opts: InstallOptions = {}): Promise<InstalledPackage> {
  const prefix = (opts.prefix ?? '/opt/conda').replace(/\/+$/, '');
  if (!prefix.startsWith('/') || prefix.split('/').includes('..')) throw new CoreError('invalid-argument', `the prefix must be an absolute path without '..', not "${prefix}"`);
  const root = prefix.slice(1);
  const epoch = opts.epoch ?? 0;
  const { index } = pkg;
  const dist = `${index.name}-${index.version}-${index.build}`;
  const noarchPython = index.noarch === 'python' || (pkg.link?.noarch?.type === 'python');
  if (noarchPython && !opts.pythonVersion) {
    throw new CoreError('invalid-argument', `${pkg.fn} is a noarch: python package: the environment needs python (its X.Y decides site-packages)`);
  }
  const entries: TarWriteEntry[] = [];
  const files: string[] = [];
  const pathsData: Array<Record<string, unknown>> = [];
  const linkScripts: string[] = [];
  const skippedPyc: string[] = [];
  const warnings = [...pkg.warnings];
  const put = (rel: string, e: Omit<TarWriteEntry, 'name'>) => entries.push({ name: `${root}/${rel}`, uid: 0, gid: 0, mtime: epoch, ...e });
  const bodies = opts.bodies ?? new PayloadBodies();

  for (const p of pkg.paths) {
    const rel = targetPath(p.path, noarchPython, opts.pythonVersion);
    if (noarchPython && p.path.endsWith('.pyc')) { skippedPyc.push(rel); continue; }
    if (LINK_SCRIPT.test(p.path)) linkScripts.push(p.path);
    if (p.pathType === 'directory') { put(rel, { type: 'directory', mode: 0o755 }); continue; }
    const e = pkg.entries.get(p.path);
    if (!e) continue; // reported by openCondaPackage
    if (e.type === 'symlink' && !e.linkname) {
      warnings.push(`${pkg.fn}: ${p.path} is a symlink without a target in the archive (a broken package); left out`);
      continue;
    }
    const record = await linkOne(pkg, p, e, rel, prefix, put, bodies, opts.relocateInPlace === true && pkg.payload instanceof Uint8Array);
    files.push(rel);
    pathsData.push(record);
  }
  for (const ep of noarchPython ? pkg.link?.noarch?.entry_points ?? [] : []) {
    const { name, body } = entryPointScript(prefix, ep);
    put(`bin/${name}`, { type: 'file', mode: 0o755, body, size: body.byteLength });
    files.push(`bin/${name}`);
    pathsData.push({ _path: `bin/${name}`, path_type: 'unix_python_entry_point', sha256_in_prefix: hex(await sha256(body)), size_in_bytes: body.byteLength });
  }
  for (const s of linkScripts) warnings.push(`${pkg.fn}: ${s} is a link script; it cannot run while the image is built, so it did not run`);
  if (skippedPyc.length) warnings.push(`${pkg.fn}: ${skippedPyc.length} .pyc file(s) left out (Python compiles them on first import)`);

  const o = opts.origin;
  const record: Record<string, unknown> = {
    build: index.build, build_number: index.build_number, constrains: index.constrains ?? [], depends: index.depends ?? [],
    ...(index.license !== undefined ? { license: index.license } : {}),
    ...(o?.md5 ? { md5: o.md5 } : {}), name: index.name,
    ...(typeof index.noarch === 'string' ? { noarch: index.noarch } : index.noarch === true ? { noarch: 'generic' } : {}),
    ...(o?.sha256 ? { sha256: o.sha256 } : {}), ...(o?.size !== undefined ? { size: o.size } : {}),
    subdir: index.subdir ?? 'noarch', ...(index.timestamp !== undefined ? { timestamp: index.timestamp } : {}),
    version: index.version, fn: pkg.fn, url: o?.url ?? '', channel: o?.channel ?? '',
    extracted_package_dir: '', files,
    paths_data: { paths_version: 1, paths: pathsData },
    link: { source: '', type: 1 },
    requested_spec: o?.requested_spec ?? null,
  };
  const json = new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n');
  put(`conda-meta/${dist}.json`, { type: 'file', mode: 0o644, body: json, size: json.byteLength });
  return { name: index.name, dist, entries: withParents(entries, epoch), record, files, linkScripts, skippedPyc, warnings };
}

const hex = (d: string) => d.slice('sha256:'.length);

/** One file or link: relocated when it carries a placeholder. Returns its paths_data record. */
async function linkOne(pkg: CondaPackage, p: PathEntry, e: import('../tar').TarEntry, rel: string, prefix: string, put: (rel: string, e: Omit<TarWriteEntry, 'name'>) => void, bodies: PayloadBodies, inPlace: boolean): Promise<Record<string, unknown>> {
  const base: Record<string, unknown> = { _path: rel, path_type: p.pathType === 'softlink' || e.type === 'symlink' ? 'softlink' : 'hardlink' };
  if (p.sha256) base.sha256 = p.sha256;
  if (e.type === 'symlink') {
    put(rel, { type: 'symlink', linkname: e.linkname, mode: 0o777 });
    return { ...base, size_in_bytes: p.size ?? 0 };
  }
  if (e.type === 'hardlink') {
    // a hardlink within the package: the target, relocated the same way, in the same layer
    put(rel, { type: 'hardlink', linkname: `${prefix.slice(1)}/${e.linkname.replace(/^\.\//, '')}`, mode: e.mode & 0o7777 });
    return { ...base, size_in_bytes: p.size ?? 0 };
  }
  if (e.type !== 'file') throw new CoreError('archive-invalid', `${pkg.fn}: ${p.path} is a ${e.type} entry, which a conda package cannot install`);
  const mode = e.mode & 0o7777 || 0o644;
  const [start, end] = [e.dataOffset, e.dataOffset + e.size];
  if (!p.prefixPlaceholder) {
    put(rel, { type: 'file', mode, body: bodies.body(pkg.payload, start, end), size: e.size });
    return { ...base, sha256_in_prefix: p.sha256, size_in_bytes: e.size };
  }
  const data = await bodies.read(pkg.payload, start, end);
  const replaced = p.fileMode === 'binary'
    ? replaceBinary(data, p.prefixPlaceholder, prefix, `${pkg.fn}: ${p.path}`, inPlace)
    : replaceText(data, p.prefixPlaceholder, prefix);
  // a view of the whole payload's read (nothing replaced) would keep all of it alive: a copy of the file,
  // unless the payload is in memory for this call anyway
  const out = replaced.buffer === data.buffer && !inPlace ? replaced.slice() : replaced;
  put(rel, { type: 'file', mode, body: out, size: out.byteLength });
  return { ...base, prefix_placeholder: p.prefixPlaceholder, file_mode: p.fileMode ?? 'text', sha256_in_prefix: hex(await sha256(out)), size_in_bytes: out.byteLength };
}

/** Adds the parent directories the entries need (0755) and sorts them for a deterministic tar. */
export function withParents(entries: TarWriteEntry[], epoch: number): TarWriteEntry[] {
  const have = new Set(entries.map((e) => e.name.replace(/\/$/, '')));
  /** folders whose own parents are all there already (walked up once, not once per entry beneath them) */
  const walked = new Set<string>();
  const extra: TarWriteEntry[] = [];
  for (const e of entries) {
    for (let end = e.name.lastIndexOf('/', e.name.length - 2); end > 0; end = e.name.lastIndexOf('/', end - 1)) {
      const dir = e.name.slice(0, end);
      if (walked.has(dir)) break;
      walked.add(dir);
      if (!have.has(dir)) { have.add(dir); extra.push({ name: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: epoch }); }
    }
  }
  // (the order of `extra` does not matter: its names are new and distinct, and the sort orders by name)
  return sortTarEntries([...entries, ...extra]);
}

/**
 * The explicit lock (conda's `@EXPLICIT` file: one package URL a line, `#sha256` or `#md5` after it), read
 * and written; `conda create --file` recreates the environment from it, `build --lock` installs it.
 * https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#building-identical-conda-environments
 * The pip packages follow the conda ones as conda-lock writes them into an explicit lock, comments conda
 * skips: `# pip <name> @ <wheel URL>#sha256=<hex>`, the version being the wheel's.
 */
import { CoreError } from '../errors';
import type { PackageRecord } from './types';

/** The explicit lock of these records (in link order) for a subdir (linux-64…). */
export function writeExplicitLock(records: PackageRecord[], subdir: string, wheels: readonly LockedWheel[] = []): string {
  return ['# This file may be used to create an environment using:', '# $ conda create --name <env> --file <this file>',
    `# platform: ${subdir}`, '@EXPLICIT',
    ...records.map((r) => `${r.url}${r.sha256 ? `#${r.sha256}` : ''}`),
    ...wheels.map((w) => `# pip ${w.name} @ ${w.url}#sha256=${w.sha256}`)].join('\n') + '\n';
}

/** A pip package of a lock: its normalised name, version, wheel URL and the wheel's sha256 (hex). */
export interface LockedWheel {
  readonly name: string;
  readonly version: string;
  readonly url: string;
  readonly sha256: string;
}

/**
 * The pip packages of an explicit lock (its `# pip name @ url#sha256=hex` lines, in order). A `# pip` line
 * that is not that, or whose URL does not end in a wheel of that name, is a CoreError ('lock-invalid') naming
 * its line.
 */
export function readLockedWheels(text: string): LockedWheel[] {
  const out: LockedWheel[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!/^#\s*pip\s/.test(line)) return;
    const bad = (why: string): never => { throw new CoreError('lock-invalid', `lock line ${i + 1}: "${line.length > 120 ? `${line.slice(0, 117)}...` : line}" ${why}`); };
    const m = /^#\s*pip\s+([A-Za-z0-9][A-Za-z0-9._-]*)\s+@\s+(\S+)#sha256=([0-9a-fA-F]{64})$/.exec(line);
    if (!m) bad('is not "# pip <name> @ <wheel URL>#sha256=<64 hex digits>"');
    const [, name, url, sha256] = m!;
    let file = '';
    try { file = decodeURIComponent(new URL(url!).pathname.split('/').pop()!); } catch { bad('has no valid URL'); }
    const parts = file.endsWith('.whl') ? file.slice(0, -4).split('-') : [];
    const key = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '-');
    if (parts.length !== 5 && parts.length !== 6) bad('does not name a wheel ({name}-{version}-{python}-{abi}-{platform}.whl)');
    if (key(parts[0]!) !== key(name!)) bad(`names ${name} but its wheel is ${file}`);
    out.push({ name: key(name!), version: parts[1]!, url: url!, sha256: sha256!.toLowerCase() });
  });
  return out;
}

/**
 * Reads an explicit lock into records (name, version, build, subdir, channel from each URL). Blank lines,
 * `#` comments and `@EXPLICIT` are skipped; any other line that is not a package URL
 * (`scheme://…/<subdir>/<name>-<version>-<build>.conda|.tar.bz2`, optionally `#` and a sha256 or md5) is a
 * CoreError ('lock-invalid') naming its line.
 */
export function readExplicitLock(text: string): PackageRecord[] {
  const records: PackageRecord[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line === '@EXPLICIT') return;
    const bad = (why: string): never => {
      throw new CoreError('lock-invalid', `lock line ${i + 1}: "${line.length > 120 ? `${line.slice(0, 117)}...` : line}" ${why}`);
    };
    const hashAt = line.indexOf('#');
    const url = hashAt < 0 ? line : line.slice(0, hashAt);
    const hash = hashAt < 0 ? '' : line.slice(hashAt + 1);
    let parsed: URL | undefined;
    try {
      parsed = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url) : undefined;
    } catch { /* reported below */ }
    if (!parsed || /\s/.test(url)) bad('is not a package URL');
    const parts = url.split('/');
    const fn = parts.at(-1)!;
    const subdir = parts.at(-2)!;
    const m = fn.match(/^(.+)-([^-]+)-([^-]+)\.(conda|tar\.bz2)$/);
    if (!m) bad('does not end in <name>-<version>-<build>.conda or .tar.bz2');
    if (parts.length < 5 || !subdir) bad('has no channel and subdir before the file name');
    const sha256 = /^[0-9a-f]{64}$/i.test(hash) ? hash.toLowerCase() : undefined;
    const md5 = /^[0-9a-f]{32}$/i.test(hash) ? hash.toLowerCase() : undefined;
    if (hash && !sha256 && !md5) bad('has a hash that is neither a sha256 (64 hex digits) nor an md5 (32)');
    const [, name, version, build] = m!;
    records.push({
      name, version, build, buildNumber: Number(build.match(/_(\d+)$/)?.[1] ?? 0), subdir, url, fn,
      channel: parts.slice(0, -2).join('/') + '/', depends: [],
      ...(sha256 ? { sha256 } : md5 ? { md5 } : {}),
    });
  });
  return records;
}

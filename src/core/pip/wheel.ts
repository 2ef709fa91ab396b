/**
 * Wheel file names (PEP 427 / 491, with the compressed tag sets of PEP 425) and core metadata
 * (the `METADATA` file: RFC 822 style headers, PEP 566).
 */
import { CoreError } from '../errors';
import { canonicalizeName } from './marker';
import { tryParseVersion, type Version } from './version';

/** One compatibility tag: `py3-none-any`, `cp311-cp311-manylinux_2_17_x86_64`. */
export interface WheelTag { readonly python: string; readonly abi: string; readonly platform: string }

/** The parts of a wheel's file name. */
export interface WheelName {
  /** normalised project name */
  readonly name: string;
  readonly version: Version;
  readonly build?: string;
  /** every tag the compressed tag set stands for */
  readonly tags: readonly WheelTag[];
}

/** Parses `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, or returns undefined for other files. */
export function parseWheelName(filename: string): WheelName | undefined {
  if (!filename.endsWith('.whl')) return undefined;
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, ver] = parts;
  const version = tryParseVersion(ver!);
  const build = parts.length === 6 ? parts[2] : undefined;
  if (!version || !name || (build !== undefined && !/^\d/.test(build))) return undefined;
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  const tags: WheelTag[] = [];
  for (const python of py.split('.')) for (const a of abi.split('.')) for (const platform of plat.split('.')) tags.push({ python, abi: a, platform });
  return { name: canonicalizeName(name), version, ...(build ? { build } : {}), tags };
}

/** The fields of core metadata a resolver reads. */
export interface CoreMetadata {
  readonly name: string;
  readonly version: string;
  readonly requiresDist: readonly string[];
  readonly requiresPython?: string;
  readonly providesExtra: readonly string[];
}

/** Parses a METADATA (or PKG-INFO) file; throws a CoreError 'index-error' without Name and Version. */
export function parseCoreMetadata(text: string, what = 'METADATA'): CoreMetadata {
  const headers: [string, string][] = [];
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line === '') break; // the body (the long description) follows the first blank line
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1]![1] += `\n${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) headers.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
    }
  }
  const all = (k: string) => headers.filter(([h]) => h === k).map(([, v]) => v);
  const [name] = all('name');
  const [version] = all('version');
  if (!name || !version) throw new CoreError('index-error', `${what} has no Name or Version header`);
  const [requiresPython] = all('requires-python');
  return {
    name, version, requiresDist: all('requires-dist'), providesExtra: all('provides-extra').map(canonicalizeName),
    ...(requiresPython ? { requiresPython } : {}),
  };
}

/** Package metadata: info/index.json, info/paths.json (or the old info/files + info/has_prefix), info/link.json. */
import { CoreError } from '../errors';
import { checkPathsJson } from './guards';

/** info/index.json (the fields the installer uses; everything else is kept as given). */
export interface IndexJson {
  name: string;
  version: string;
  build: string;
  build_number: number;
  depends?: string[];
  constrains?: string[];
  subdir?: string;
  /** 'python' | 'generic' | the legacy boolean true */
  noarch?: string | boolean;
  license?: string;
  timestamp?: number;
  [key: string]: unknown;
}

/** One path a package installs (paths.json v1, or derived from info/files). */
export interface PathEntry {
  /** path relative to the prefix (before noarch python relocation) */
  path: string;
  pathType: 'hardlink' | 'softlink' | 'directory';
  sha256?: string;
  size?: number;
  prefixPlaceholder?: string;
  fileMode?: 'text' | 'binary';
  noLink?: boolean;
}

/** info/link.json's noarch python entry points, as `name = module:function`. */
export interface LinkJson {
  noarch?: { type?: string; entry_points?: string[] };
}

const dec = new TextDecoder();
const LEGACY_PLACEHOLDER = '/opt/anaconda1anaconda2anaconda3';

/** Parses a JSON info file, naming it in the error. */
export function parseInfoJson<T>(bytes: Uint8Array | undefined, name: string, fn: string): T {
  if (!bytes) throw new CoreError('archive-invalid', `${fn}: info/${name} is missing`);
  try {
    return JSON.parse(dec.decode(bytes)) as T;
  } catch (e) {
    throw new CoreError('archive-invalid', `${fn}: info/${name} is not valid JSON`, { cause: e });
  }
}

/** The paths a package installs: paths.json when present, else info/files + info/has_prefix + info/no_link. */
export function readPaths(info: Map<string, Uint8Array>, fn: string): PathEntry[] {
  const pathsJson = info.get('paths.json');
  if (pathsJson && pathsJson.byteLength > 0) {
    return checkPathsJson(parseInfoJson<unknown>(pathsJson, 'paths.json', fn), fn).map((p) => {
      const t = p.path_type === 'softlink' || p.path_type === 'directory' ? p.path_type : 'hardlink';
      return {
        path: p._path, pathType: t,
        ...(typeof p.sha256 === 'string' ? { sha256: p.sha256 } : {}),
        ...(typeof p.size_in_bytes === 'number' ? { size: p.size_in_bytes } : {}),
        ...(typeof p.prefix_placeholder === 'string' ? { prefixPlaceholder: p.prefix_placeholder, fileMode: p.file_mode === 'binary' ? 'binary' : 'text' } : {}),
        ...(p.no_link ? { noLink: true } : {}),
      } as PathEntry;
    });
  }
  const files = info.get('files');
  if (!files) throw new CoreError('archive-invalid', `${fn}: neither info/paths.json nor info/files is present`);
  const prefixes = new Map<string, { placeholder: string; mode: 'text' | 'binary' }>();
  for (const line of dec.decode(info.get('has_prefix') ?? new Uint8Array()).split('\n')) {
    const fields = splitHasPrefix(line.trim());
    if (fields.length === 1) prefixes.set(fields[0], { placeholder: LEGACY_PLACEHOLDER, mode: 'text' });
    else if (fields.length === 3) prefixes.set(fields[2], { placeholder: fields[0], mode: fields[1] === 'binary' ? 'binary' : 'text' });
  }
  const noLink = new Set(dec.decode(info.get('no_link') ?? new Uint8Array()).split('\n').map((l) => l.trim()).filter(Boolean));
  return dec.decode(files).split('\n').map((l) => l.trim()).filter(Boolean).map((path) => {
    const pre = prefixes.get(path);
    return {
      path, pathType: 'hardlink' as const,
      ...(pre ? { prefixPlaceholder: pre.placeholder, fileMode: pre.mode } : {}),
      ...(noLink.has(path) ? { noLink: true } : {}),
    };
  });
}

/** Splits a has_prefix line: `placeholder mode path`, with Windows builds quoting each field. */
export function splitHasPrefix(line: string): string[] {
  if (!line) return [];
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]);
  return out;
}

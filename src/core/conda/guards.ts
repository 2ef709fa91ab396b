/**
 * Typed guards for a conda package's JSON documents (info/index.json, info/paths.json, info/link.json),
 * called where the package reader parses them: a document of the wrong shape fails here with a
 * CoreError 'archive-invalid' naming the package and the field, instead of a TypeError (or a stack
 * overflow on a deeply nested value) in the installer. Optional fields that are null count as absent.
 */
import { CoreError } from '../errors';
import { describe } from '../oci/guards';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(fn: string, doc: string, why: string): never {
  throw new CoreError('archive-invalid', `${fn}: info/${doc} ${why}`);
}

const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks info/index.json: name, version and build strings, build_number an integer, dependency lists of strings. */
export function checkIndexJson(v: unknown, fn: string): Obj {
  if (!isObj(v)) bad(fn, 'index.json', `is ${describe(v)}, not a JSON object`);
  if (typeof v.name !== 'string' || !v.name || typeof v.version !== 'string' || !v.version) bad(fn, 'index.json', 'has no name/version');
  if (v.build !== undefined && v.build !== null && typeof v.build !== 'string') bad(fn, 'index.json', `has a "build" that is ${describe(v.build)}, not a string`);
  if (v.build_number !== undefined && v.build_number !== null && !Number.isSafeInteger(v.build_number)) {
    bad(fn, 'index.json', `has a "build_number" that is ${describe(v.build_number)}, not an integer`);
  }
  for (const k of ['depends', 'constrains', 'track_features_list']) {
    if (v[k] !== undefined && v[k] !== null && !isStringList(v[k])) bad(fn, 'index.json', `has a "${k}" that is not a list of strings`);
  }
  for (const k of ['subdir', 'license', 'platform', 'arch']) {
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== 'string') bad(fn, 'index.json', `has a "${k}" that is ${describe(v[k])}, not a string`);
  }
  if (v.noarch !== undefined && v.noarch !== null && typeof v.noarch !== 'string' && typeof v.noarch !== 'boolean') {
    bad(fn, 'index.json', `has a "noarch" that is ${describe(v.noarch)}, not a string`);
  }
  if (v.timestamp !== undefined && v.timestamp !== null && !Number.isFinite(v.timestamp)) bad(fn, 'index.json', `has a "timestamp" that is ${describe(v.timestamp)}, not a number`);
  // nulls of optional fields read as absent downstream
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = x;
  if (out.build === undefined) out.build = '';
  if (out.build_number === undefined) out.build_number = 0;
  return out;
}

/** One checked paths.json entry, as given (null optional fields dropped). */
export type RawPathEntry = Obj & { _path: string };

/** Checks info/paths.json: a "paths" list of objects, each with a `_path` string and typed optional fields. */
export function checkPathsJson(v: unknown, fn: string): RawPathEntry[] {
  if (!isObj(v)) bad(fn, 'paths.json', `is ${describe(v)}, not a JSON object`);
  if (!Array.isArray(v.paths)) bad(fn, 'paths.json', 'has no "paths" list');
  return v.paths.map((p, i) => {
    if (!isObj(p)) bad(fn, 'paths.json', `entry ${i} is ${describe(p)}, not an object`);
    if (typeof p._path !== 'string' || !p._path) bad(fn, 'paths.json', `entry ${i} has no _path`);
    const at = `entry ${i} ("${p._path}")`;
    const e: Obj = {};
    for (const [k, x] of Object.entries(p)) if (x !== null) e[k] = x;
    for (const k of ['path_type', 'sha256', 'prefix_placeholder', 'file_mode']) {
      if (e[k] !== undefined && typeof e[k] !== 'string') bad(fn, 'paths.json', `${at} has a "${k}" that is ${describe(e[k])}, not a string`);
    }
    if (e.size_in_bytes !== undefined && !(Number.isSafeInteger(e.size_in_bytes) && (e.size_in_bytes as number) >= 0)) {
      bad(fn, 'paths.json', `${at} has a "size_in_bytes" of ${describe(e.size_in_bytes)}, not a byte count`);
    }
    if (e.no_link !== undefined && typeof e.no_link !== 'boolean') bad(fn, 'paths.json', `${at} has a "no_link" that is ${describe(e.no_link)}, not true or false`);
    return e as RawPathEntry;
  });
}

/** Checks info/link.json: an optional `noarch` object with a string type and a list of entry point strings. */
export function checkLinkJson(v: unknown, fn: string): Obj {
  if (!isObj(v)) bad(fn, 'link.json', `is ${describe(v)}, not a JSON object`);
  const n = v.noarch;
  if (n === undefined || n === null) return { ...v, noarch: undefined };
  if (!isObj(n)) bad(fn, 'link.json', `has a "noarch" that is ${describe(n)}, not an object`);
  if (n.type !== undefined && n.type !== null && typeof n.type !== 'string') bad(fn, 'link.json', `has a "noarch.type" that is ${describe(n.type)}, not a string`);
  if (n.entry_points !== undefined && n.entry_points !== null && !isStringList(n.entry_points)) bad(fn, 'link.json', 'has "noarch.entry_points" that are not a list of strings');
  return { ...v, noarch: { ...(typeof n.type === 'string' ? { type: n.type } : {}), ...(Array.isArray(n.entry_points) ? { entry_points: n.entry_points } : {}) } };
}

/** A repodata document's parts the reader uses, checked: info.base_url, and the two record maps. */
export interface CheckedRepodata {
  baseUrl?: string;
  packages: Record<string, Obj>;
  conda: Record<string, Obj>;
}

/**
 * Checks a repodata document (or a CEP-16 shard): an object whose `info` is an object, whose
 * `packages` and `packages.conda` are maps of record objects (null maps read as empty). Each record's
 * own fields are checked where it is read (parseRepodata).
 */
export function checkRepodata(v: unknown, where: string): CheckedRepodata {
  const fail = (why: string): never => { throw new CoreError('repodata-invalid', `${where}: ${why}`); };
  if (!isObj(v)) fail(`repodata is ${describe(v)}, not an object`);
  const d = v as Obj;
  const info = d.info;
  if (info !== undefined && info !== null && !isObj(info)) fail(`"info" is ${describe(info)}, not an object`);
  const base = isObj(info) ? info.base_url : undefined;
  if (base !== undefined && base !== null && typeof base !== 'string') fail(`"info.base_url" is ${describe(base)}, not a string`);
  const map = (key: string): Record<string, Obj> => {
    const m = d[key];
    if (m === undefined || m === null) return {};
    if (!isObj(m)) fail(`"${key}" is ${describe(m)}, not a map of records`);
    for (const [fn, r] of Object.entries(m as Obj)) if (!isObj(r)) fail(`record ${fn} is ${describe(r)}, not an object`);
    return m as Record<string, Obj>;
  };
  return { ...(typeof base === 'string' && base ? { baseUrl: base } : {}), packages: map('packages'), conda: map('packages.conda') };
}

/**
 * PEP 508 requirements: `name[extra1,extra2] (>=1.0,<2) ; python_version >= "3.8"`.
 * The URL form (`name @ https://…`) is refused: only index releases and local wheels install.
 */
import { CoreError } from '../errors';
import { canonicalizeName, parseMarker, type Marker } from './marker';
import { parseSpecifierSet, type SpecifierSet } from './specifier';

/** A parsed requirement. `name` is as written; `key` is its normalised form. */
export interface Requirement {
  readonly name: string;
  readonly key: string;
  /** normalised extra names, in the order written */
  readonly extras: readonly string[];
  readonly specifier: SpecifierSet;
  readonly marker?: Marker;
  /** the requirement as written, for messages */
  readonly text: string;
}

const NAME_RE = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

/** Parses a PEP 508 requirement; throws a CoreError 'requirement-invalid' saying what is wrong. */
export function parseRequirement(text: string): Requirement {
  const bad = (why: string) => new CoreError('requirement-invalid', `invalid requirement ${JSON.stringify(text)}: ${why}`);
  const m = NAME_RE.exec(text);
  if (!m) throw bad('it does not begin with a project name');
  const name = m[1]!;
  let rest = text.slice(m[0].length);
  const extras: string[] = [];
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw bad("the extras have no closing ']'");
    const list = rest.slice(1, end).trim();
    for (const e of list ? list.split(',') : []) {
      const x = e.trim();
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(x)) throw bad(`${JSON.stringify(x)} is not a valid extra name`);
      extras.push(canonicalizeName(x));
    }
    rest = rest.slice(end + 1).trimStart();
  }
  if (rest.startsWith('@')) throw bad('direct URL requirements (name @ url) are not supported; name a version from the index, or a local .whl file');
  const semi = rest.indexOf(';');
  let spec = (semi < 0 ? rest : rest.slice(0, semi)).trim();
  const markerText = semi < 0 ? undefined : rest.slice(semi + 1).trim();
  if (spec.startsWith('(')) {
    if (!spec.endsWith(')')) throw bad("the version specifier has no closing ')'");
    spec = spec.slice(1, -1);
  }
  let specifier: SpecifierSet;
  try {
    specifier = parseSpecifierSet(spec);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (markerText !== undefined && !markerText) throw bad("nothing follows ';'");
  let marker: Marker | undefined;
  try {
    marker = markerText === undefined ? undefined : parseMarker(markerText);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return { name, key: canonicalizeName(name), extras, specifier, ...(marker ? { marker } : {}), text };
}

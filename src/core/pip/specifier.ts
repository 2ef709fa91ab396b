/**
 * PEP 440 version specifiers (`>=1.2,<2`, `~=1.4.2`, `==1.*`, `!=1.3.1`, `===foo`) and their matching.
 * Matching follows the `packaging` library (the reference pip vendors), which tests check it against.
 */
import { CoreError } from '../errors';
import { compareVersions, formatVersion, isPrerelease, parseVersion, publicVersion, type Version } from './version';

/** A comparison operator of a specifier. */
export type SpecOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

/** One clause of a specifier set. `version` is undefined for `===` and for `==`/`!=` with `.*`. */
export interface Specifier {
  readonly op: SpecOperator;
  /** the text after the operator, as written (trimmed) */
  readonly text: string;
  readonly version?: Version;
  /** set for `==V.*` and `!=V.*` */
  readonly wildcard?: Version;
}

/** A comma-separated list of specifiers, all of which must hold. Empty matches every version. */
export type SpecifierSet = readonly Specifier[];

const PRE = '(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?\\d*)?';
const POST = '(?:-\\d+|[-_.]?(?:post|rev|r)[-_.]?\\d*)?';
const DEV = '(?:[-_.]?dev[-_.]?\\d*)?';
const LOCAL = '(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?';
const BASE = 'v?(?:\\d+!)?\\d+';
/** The specifier grammar of PEP 440; exported for the requirement parser, which must find where one ends. */
export const SPECIFIER_SOURCE =
  `(?:===\\s*[^\\s;),]*` +
  `|(?:==|!=)\\s*${BASE}(?:\\.\\d+)*(?:\\.\\*|${PRE}${POST}${DEV}${LOCAL})` +
  `|~=\\s*${BASE}(?:\\.\\d+)+${PRE}${POST}${DEV}` +
  `|(?:<=|>=|<|>)\\s*${BASE}(?:\\.\\d+)*${PRE}${POST}${DEV})`;
const SPEC_RE = new RegExp(`^\\s*(${SPECIFIER_SOURCE})\\s*$`, 'i');

/** Parses one specifier such as `>=1.2`; throws a CoreError 'requirement-invalid' when it is not PEP 440. */
export function parseSpecifier(s: string): Specifier {
  const m = SPEC_RE.exec(s);
  if (!m) throw new CoreError('requirement-invalid', `${JSON.stringify(s.trim())} is not a valid version specifier`);
  const body = m[1]!;
  const op = /^(===|==|!=|~=|<=|>=|<|>)/.exec(body)![1] as SpecOperator;
  const text = body.slice(op.length).trim();
  if (op === '===') return { op, text };
  if (text.endsWith('.*')) return { op, text, wildcard: parseVersion(text.slice(0, -2)) };
  return { op, text, version: parseVersion(text) };
}

/** Parses a comma-separated specifier set; the empty string gives the empty set. */
export function parseSpecifierSet(s: string): SpecifierSet {
  return s.split(',').map((x) => x.trim()).filter(Boolean).map(parseSpecifier);
}

/** The canonical text of a specifier set, sorted as `packaging` prints it. */
export function formatSpecifierSet(set: SpecifierSet): string {
  return set.map((s) => `${s.op}${s.text}`).sort().join(',');
}

const baseOf = (v: Version): Version => ({ epoch: v.epoch, release: v.release });
const eq = (a: Version, b: Version) => compareVersions(a, b) === 0;

/** `V.*` prefix matching: the same epoch, and the release (padded with zeros) begins with the prefix's. */
function prefixMatch(v: Version, prefix: Version): boolean {
  if (v.epoch !== prefix.epoch) return false;
  return prefix.release.every((n, i) => (v.release[i] ?? 0n) === n);
}

function equal(v: Version, s: Specifier): boolean {
  if (s.wildcard) return prefixMatch(v, s.wildcard);
  const spec = s.version!;
  return eq(spec.local ? v : publicVersion(v), spec);
}

/** Whether version `v` satisfies one specifier (pre-releases are not excluded here: see `allowsPrereleases`). */
export function specifierContains(s: Specifier, v: Version): boolean {
  const spec = s.version;
  switch (s.op) {
    case '===':
      return formatVersion(v).toLowerCase() === s.text.toLowerCase();
    case '==':
      return equal(v, s);
    case '!=':
      return !equal(v, s);
    case '<=':
      return compareVersions(publicVersion(v), spec!) <= 0;
    case '>=':
      return compareVersions(publicVersion(v), spec!) >= 0;
    case '<':
      // <V excludes V's own pre-releases unless V is one
      if (compareVersions(v, spec!) >= 0) return false;
      return isPrerelease(spec!) || !isPrerelease(v) || !eq(baseOf(v), baseOf(spec!));
    case '>':
      // >V excludes V's post-releases (unless V is one) and V's local versions
      if (compareVersions(v, spec!) <= 0) return false;
      if (spec!.post === undefined && v.post !== undefined && eq(baseOf(v), baseOf(spec!))) return false;
      return !(v.local && eq(baseOf(v), baseOf(spec!)));
    case '~=': {
      // ~=X.Y.Z is >=X.Y.Z together with ==X.Y.*
      const prefix: Version = { epoch: spec!.epoch, release: spec!.release.slice(0, -1) };
      return compareVersions(publicVersion(v), spec!) >= 0 && prefixMatch(v, prefix);
    }
  }
}

/** Whether `v` satisfies every specifier of the set. */
export function specifierSetContains(set: SpecifierSet, v: Version): boolean {
  return set.every((s) => specifierContains(s, v));
}

/**
 * Whether the set itself asks for pre-releases (PEP 440: a specifier naming one, except `!=`, admits them);
 * installers otherwise take pre-releases only when no final release matches.
 */
export function allowsPrereleases(set: SpecifierSet): boolean {
  return set.some((s) => s.op !== '!=' && s.version !== undefined && isPrerelease(s.version));
}

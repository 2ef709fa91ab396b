/**
 * PEP 440 versions: parsing (with the spec's normalisations), canonical form and ordering.
 * Numbers are bigints because release segments such as dates (20240101123456) exceed no limit in the spec.
 */
import { CoreError } from '../errors';

/** A parsed PEP 440 version, normalised (pre labels become a/b/rc, local labels lower-case). */
export interface Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre?: readonly [PreLabel, bigint];
  readonly post?: bigint;
  readonly dev?: bigint;
  /** local label segments: numbers as bigints, the rest as lower-case strings */
  readonly local?: readonly (bigint | string)[];
}

/** The normalised pre-release labels, in their order. */
export type PreLabel = 'a' | 'b' | 'rc';

const PRE_LABELS: Record<string, PreLabel> = { a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

const VERSION_RE = new RegExp(
  '^\\s*v?(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)' +
  '(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\\d+)?)?' +
  '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?' +
  '(?:[-_.]?(dev)[-_.]?(\\d+)?)?' +
  '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

const invalid = (s: string) => new CoreError('requirement-invalid', `${JSON.stringify(s)} is not a valid PEP 440 version`);

/** Parses a version; throws a CoreError 'requirement-invalid' when `s` is not PEP 440. */
export function parseVersion(s: string): Version {
  const v = tryParseVersion(s);
  if (!v) throw invalid(s);
  return v;
}

/** Parses a version, or returns undefined when `s` is not PEP 440 (index listings hold such files). */
export function tryParseVersion(s: string): Version | undefined {
  const m = VERSION_RE.exec(s);
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
  const v: { -readonly [K in keyof Version]: Version[K] } = {
    epoch: BigInt(epoch ?? 0),
    release: release!.split('.').map(BigInt),
  };
  if (preL) v.pre = [PRE_LABELS[preL.toLowerCase()]!, BigInt(preN ?? 0)];
  if (postN1 !== undefined) v.post = BigInt(postN1);
  else if (postL) v.post = BigInt(postN2 ?? 0);
  if (devL) v.dev = BigInt(devN ?? 0);
  if (local) v.local = local.toLowerCase().split(/[-_.]/).map((x) => (/^\d+$/.test(x) ? BigInt(x) : x));
  return v;
}

/** The canonical string of a version (as `str(packaging.version.Version(...))` gives it). */
export function formatVersion(v: Version): string {
  let s = (v.epoch ? `${v.epoch}!` : '') + v.release.join('.');
  if (v.pre) s += `${v.pre[0]}${v.pre[1]}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join('.')}`;
  return s;
}

/** True for pre-releases and development releases. */
export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** The version without its local label. */
export function publicVersion(v: Version): Version {
  if (!v.local) return v;
  const { local: _local, ...rest } = v;
  return rest;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function cmpRelease(a: readonly bigint[], b: readonly bigint[]): number {
  // trailing zeros do not count: 1.0 == 1.0.0
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i] ?? 0n, b[i] ?? 0n);
    if (c) return c;
  }
  return 0;
}

const PRE_RANK: Record<PreLabel, number> = { a: 0, b: 1, rc: 2 };

/** The pre-release slot: a dev release of a final version sorts before all its pre-releases. */
function preKey(v: Version): [number, number, bigint] {
  if (!v.pre && v.post === undefined && v.dev !== undefined) return [-1, 0, 0n];
  if (!v.pre) return [1, 0, 0n];
  return [0, PRE_RANK[v.pre[0]], v.pre[1]];
}

function cmpLocal(a: Version['local'], b: Version['local']): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      const c = cmp(x, y);
      if (c) return c;
    } else if (typeof x === 'bigint') return 1; // numbers sort after strings
    else if (typeof y === 'bigint') return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders two versions as PEP 440 does: negative, zero or positive. */
export function compareVersions(a: Version, b: Version): number {
  let c = cmp(a.epoch, b.epoch) || cmpRelease(a.release, b.release);
  if (c) return c;
  const pa = preKey(a);
  const pb = preKey(b);
  c = pa[0] - pb[0] || pa[1] - pb[1] || cmp(pa[2], pb[2]);
  if (c) return c;
  // no post release sorts before any; no dev release sorts after any
  c = a.post === undefined ? (b.post === undefined ? 0 : -1) : b.post === undefined ? 1 : cmp(a.post, b.post);
  if (c) return c;
  c = a.dev === undefined ? (b.dev === undefined ? 0 : 1) : b.dev === undefined ? -1 : cmp(a.dev, b.dev);
  return c || cmpLocal(a.local, b.local);
}

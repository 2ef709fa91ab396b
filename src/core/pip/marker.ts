/**
 * PEP 508 environment markers (`python_version >= "3.8" and (sys_platform == "linux" or extra == "socks")`):
 * a parser to a small tree and its evaluation against an environment, as the `packaging` library does it.
 */
import { CoreError } from '../errors';
import { parseSpecifier, specifierContains, type Specifier } from './specifier';
import { tryParseVersion } from './version';

/** A marker variable's name (dotted aliases and `python_implementation` normalised) or a quoted value. */
export type MarkerOperand = { readonly variable: string } | { readonly value: string };

/** A parsed marker. */
export type Marker =
  | { readonly kind: 'and' | 'or'; readonly items: readonly Marker[] }
  | { readonly kind: 'compare'; readonly lhs: MarkerOperand; readonly op: string; readonly rhs: MarkerOperand };

/** The values of the marker variables for one target (python_version, sys_platform, …; `extra` optional). */
export type MarkerEnvironment = Readonly<Record<string, string>>;

const VARIABLES = new Set([
  'python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_release', 'platform_system',
  'platform_version', 'platform_machine', 'platform_python_implementation', 'implementation_name',
  'implementation_version', 'extra',
]);

const OP_RE = /^(===|==|~=|!=|<=|>=|<|>|not[ \t]+in\b|in\b)/;

/** Parses a marker expression; throws a CoreError 'requirement-invalid' naming the position on bad input. */
export function parseMarker(src: string): Marker {
  let pos = 0;
  const fail = (what: string): never => {
    throw new CoreError('requirement-invalid', `invalid marker ${JSON.stringify(src)}: ${what} at position ${pos}`);
  };
  const ws = () => { while (src[pos] === ' ' || src[pos] === '\t') pos++; };
  const keyword = (k: string): boolean => {
    ws();
    const re = new RegExp(`^${k}\\b`);
    if (!re.test(src.slice(pos))) return false;
    pos += k.length;
    return true;
  };
  const operand = (): MarkerOperand => {
    ws();
    const q = src[pos];
    if (q === '"' || q === "'") {
      const end = src.indexOf(q, pos + 1);
      if (end < 0) fail('unterminated string');
      const value = src.slice(pos + 1, end);
      pos = end + 1;
      return { value };
    }
    const m = /^[a-z_.]+/.exec(src.slice(pos));
    let name = m?.[0].replace(/\./g, '_') ?? '';
    if (name === 'python_implementation') name = 'platform_python_implementation';
    if (!VARIABLES.has(name)) fail('expected a marker variable or a quoted string');
    pos += m![0].length;
    return { variable: name };
  };
  const atom = (): Marker => {
    ws();
    if (src[pos] === '(') {
      pos++;
      const inner = or();
      ws();
      if (src[pos] !== ')') fail("expected ')'");
      pos++;
      return inner;
    }
    const lhs = operand();
    ws();
    const m = OP_RE.exec(src.slice(pos));
    if (!m) fail('expected a marker operator');
    pos += m![0].length;
    const op = m![0].startsWith('not') ? 'not in' : m![0];
    return { kind: 'compare', lhs, op, rhs: operand() };
  };
  const chain = (kind: 'and' | 'or', next: () => Marker): Marker => {
    const items = [next()];
    while (keyword(kind)) items.push(next());
    return items.length === 1 ? items[0]! : { kind, items };
  };
  const and = () => chain('and', atom);
  const or = (): Marker => chain('or', and);
  const tree = or();
  ws();
  if (pos !== src.length) fail('unexpected text');
  return tree;
}

/** PEP 503 normalised name: lower case, runs of `-_.` as one `-` (also PEP 685 for extras). */
export function canonicalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

function valueOf(o: MarkerOperand, env: MarkerEnvironment): string {
  if ('value' in o) return o.value;
  const v = env[o.variable] ?? (o.variable === 'extra' ? '' : undefined);
  if (v === undefined) throw new CoreError('requirement-invalid', `the marker variable ${o.variable} is not defined in the environment`);
  return v;
}

function compare(lhs: string, op: string, rhs: string): boolean {
  if (op !== 'in' && op !== 'not in') {
    // a right side that makes a version specifier compares as versions when the left side is one
    let spec: Specifier | undefined;
    try { spec = parseSpecifier(op + rhs); } catch { spec = undefined; }
    const v = spec && tryParseVersion(lhs);
    if (spec && v) return specifierContains(spec, v);
  }
  switch (op) {
    case 'in': return rhs.includes(lhs);
    case 'not in': return !rhs.includes(lhs);
    case '==': return lhs === rhs;
    case '!=': return lhs !== rhs;
    case '<': return lhs < rhs;
    case '<=': return lhs <= rhs;
    case '>': return lhs > rhs;
    case '>=': return lhs >= rhs;
    default: throw new CoreError('requirement-invalid', `the marker compares ${JSON.stringify(lhs)} ${op} ${JSON.stringify(rhs)}, which are not versions`);
  }
}

/** Evaluates a marker; `extra` defaults to the empty string, extras compare by their normalised names. */
export function evaluateMarker(m: Marker, env: MarkerEnvironment): boolean {
  if (m.kind !== 'compare') return m.kind === 'and' ? m.items.every((x) => evaluateMarker(x, env)) : m.items.some((x) => evaluateMarker(x, env));
  let lhs = valueOf(m.lhs, env);
  let rhs = valueOf(m.rhs, env);
  if (('variable' in m.lhs && m.lhs.variable === 'extra') || ('variable' in m.rhs && m.rhs.variable === 'extra')) {
    lhs = canonicalizeName(lhs);
    rhs = canonicalizeName(rhs);
  }
  return compare(lhs, m.op, rhs);
}

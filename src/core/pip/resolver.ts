/**
 * A backtracking resolver for pip requirements, wheels only: versions newest first, each project pinned once,
 * its dependencies (with markers evaluated for the target and the extras asked of it) checked against every
 * pin; a conflict undoes the latest choice and tries the next candidate.
 */
import { CoreError } from '../errors';
import type { IndexFile } from './index-client';
import { evaluateMarker, type MarkerEnvironment } from './marker';
import type { InstalledDistribution } from './installed';
import { parseRequirement, type Requirement } from './requirement';
import { allowsPrereleases, parseSpecifierSet, specifierSetContains } from './specifier';
import { compareVersions, formatVersion, isPrerelease, parseVersion, tryParseVersion, type Version } from './version';
import { parseWheelName, type CoreMetadata, type WheelTag } from './wheel';

/** What the resolver asks of the indexes (merged). */
export interface ResolverSource {
  /** every file of a project, by normalised name; [] when no index has it */
  files(key: string): Promise<readonly IndexFile[]>;
  metadata(file: IndexFile): Promise<CoreMetadata>;
}

/** The target: marker values, the Python version, and the wheel tags it accepts, best first. */
export interface PipTarget {
  readonly markers: MarkerEnvironment;
  /** the full Python version (3.11.4), for requires-python */
  readonly python: string;
  readonly tags: readonly WheelTag[];
  /** the platform as errors name it (`linux/arm64 with glibc 2.36`): a multi-platform build says which failed */
  readonly platform?: string;
}

/** One pinned distribution. */
export interface Pin {
  readonly key: string;
  readonly version: Version;
  readonly file: IndexFile;
  readonly metadata: CoreMetadata;
  readonly extras: readonly string[];
  /** true for a top-level requirement (pip writes REQUESTED for those) */
  readonly requested: boolean;
}

interface Edge { readonly req: Requirement; readonly parent?: string }
interface State { readonly pins: ReadonlyMap<string, Pin>; readonly seen: ReadonlyMap<string, readonly Edge[]> }
interface Candidate { readonly version: Version; readonly file: IndexFile }

const tagKey = (t: WheelTag) => `${t.python}-${t.abi}-${t.platform}`;

/** Resolves top-level requirements to one wheel per project; throws a CoreError 'solve-failed' naming the conflict. */
export async function resolvePip(
  requirements: readonly Requirement[], target: PipTarget, source: ResolverSource,
  { maxSteps = 20_000, warn = () => {}, installed = new Map(), allowedHashes = {} }: {
    maxSteps?: number; warn?: (message: string) => void;
    /** distributions conda already installs, by key: never pinned, and a requirement they fail is a conflict */
    installed?: ReadonlyMap<string, InstalledDistribution>;
    /** hash-checking mode: the sha256 digests each project allows; a version's files with another are left out where one matches (pip's rule) */
    allowedHashes?: Readonly<Record<string, readonly string[]>>;
  } = {},
): Promise<Pin[]> {
  const tagRank = new Map(target.tags.map((t, i) => [tagKey(t), i]));
  const python = parseVersion(target.python);
  const candidateCache = new Map<string, Promise<Candidate[]>>();
  const metadataCache = new Map<string, Promise<CoreMetadata>>();
  const topKeys = new Set(requirements.map((r) => r.key));
  let steps = 0;
  let conflict = '';
  const on = target.platform ? ` on ${target.platform}` : '';

  const applies = (req: Requirement, extras: readonly string[]) =>
    !req.marker || [undefined, ...extras].some((extra) => evaluateMarker(req.marker!, { ...target.markers, extra: extra ?? '' }));

  /** Wheels the target can install, newest version first, each version with its best-tagged file. */
  const candidates = (key: string): Promise<Candidate[]> => {
    let c = candidateCache.get(key);
    if (!c) {
      c = source.files(key).then((all) => {
        // hash-checking mode: of a version's files, those with an allowed sha256 where it has any
        const allowed = allowedHashes[key];
        const ok = (f: IndexFile) => allowed !== undefined && f.hashes.sha256 !== undefined && allowed.includes(f.hashes.sha256);
        const versionOf = (f: IndexFile) => f.filename.split('-')[1];
        const matched = new Set(all.filter(ok).map(versionOf));
        const files = all.filter((f) => ok(f) || !matched.has(versionOf(f)));
        const best = new Map<string, { c: Candidate; rank: number }>();
        for (const file of files) {
          const w = parseWheelName(file.filename);
          if (!w || w.name !== key) continue;
          const rank = Math.min(...w.tags.map((t) => tagRank.get(tagKey(t)) ?? Infinity));
          if (rank === Infinity) continue;
          if (file.requiresPython && !specifierSetContains(parseSpecifierSet(file.requiresPython), python)) continue;
          const v = formatVersion(w.version);
          const prev = best.get(v);
          if (!prev || rank < prev.rank) best.set(v, { c: { version: w.version, file }, rank });
        }
        if (!best.size) throw new CoreError('solve-failed', `${key}: no wheel on the index fits this environment (Python ${target.python}${on}; sdists are not built)`);
        return [...best.values()].map((x) => x.c).sort((a, b) => compareVersions(b.version, a.version));
      });
      candidateCache.set(key, c);
    }
    return c;
  };
  const metadata = (file: IndexFile) => {
    let m = metadataCache.get(file.url);
    if (!m) metadataCache.set(file.url, (m = source.metadata(file)));
    return m;
  };

  const fits = (c: Candidate, edges: readonly Edge[], all: readonly Candidate[]): boolean => {
    if (!edges.every((e) => specifierSetContains(e.req.specifier, c.version))) return false;
    // a yanked file only for an exact pin (PEP 592)
    if (c.file.yanked !== false && !edges.some((e) => e.req.specifier.some((s) => s.op === '===' || (s.op === '==' && !s.wildcard)))) return false;
    if (!isPrerelease(c.version) || edges.some((e) => allowsPrereleases(e.req.specifier))) return true;
    // pre-releases only when no final release fits
    return !all.some((o) => !isPrerelease(o.version) && o.file.yanked === false && edges.every((e) => specifierSetContains(e.req.specifier, o.version)));
  };

  const warned = new Set<string>();
  const warnOnce = (m: string) => { if (!warned.has(m)) { warned.add(m); warn(m); } };
  const describe = (e: Edge) => `${e.req.text}${e.parent ? ` (required by ${e.parent})` : ''}`;

  async function step(state: State, queue: readonly Edge[]): Promise<State | undefined> {
    if (++steps > maxSteps) throw new CoreError('solve-timeout', `pip requirements: no solution after ${maxSteps} steps (last conflict: ${conflict})`);
    const [edge, ...rest] = queue;
    if (!edge) return state;
    const { req } = edge;
    const seen = new Map(state.seen).set(req.key, [...(state.seen.get(req.key) ?? []), edge]);
    const have = installed.get(req.key);
    if (have) {
      const v = tryParseVersion(have.version);
      if (v && !specifierSetContains(req.specifier, v)) {
        const clash = `pip requirement ${describe(edge)} conflicts with ${have.name} ${have.version} installed by the conda package ${have.owner}`;
        // a top-level requirement has no other way out
        if (!edge.parent) throw new CoreError('solve-failed', clash);
        conflict = clash;
        return undefined;
      }
      if (req.extras.length) warnOnce(`${have.name} ${have.version} comes from the conda package ${have.owner}: the dependencies of its extras ${req.extras.join(', ')} are not added by pip`);
      return step({ pins: state.pins, seen }, rest);
    }
    const pinned = state.pins.get(req.key);
    if (pinned) {
      if (!specifierSetContains(req.specifier, pinned.version)) {
        conflict = `${describe(edge)} conflicts with ${req.key} ${formatVersion(pinned.version)} chosen for ${(state.seen.get(req.key) ?? []).map(describe).join(', ')}`;
        return undefined;
      }
      const added = req.extras.filter((x) => !pinned.extras.includes(x));
      if (!added.length) return step({ pins: state.pins, seen }, rest);
      const extras = [...pinned.extras, ...added];
      const pins = new Map(state.pins).set(req.key, { ...pinned, extras });
      return step({ pins, seen }, [...rest, ...deps(pinned.metadata, added, req.key, true)]);
    }
    const all = await candidates(req.key);
    const edges = seen.get(req.key)!;
    const fitting = all.filter((c) => fits(c, edges, all));
    if (!fitting.length) conflict = `no version of ${req.key} satisfies ${edges.map(describe).join(' and ')}`;
    for (const c of fitting) {
      const md = await metadata(c.file);
      if (md.requiresPython && !specifierSetContains(parseSpecifierSet(md.requiresPython), python)) continue;
      const pin: Pin = { key: req.key, version: c.version, file: c.file, metadata: md, extras: req.extras, requested: topKeys.has(req.key) };
      const pins = new Map(state.pins).set(req.key, pin);
      const missing = req.extras.filter((x) => !md.providesExtra.includes(x));
      if (missing.length) warn(`${req.key} ${formatVersion(c.version)} does not provide the extra ${missing.join(', ')}`);
      const done = await step({ pins, seen }, [...rest, ...deps(md, req.extras, `${req.key} ${formatVersion(c.version)}`, false)]);
      if (done) return done;
    }
    return undefined;
  }

  /** The requirements of a distribution that apply to the target with the given extras. */
  function deps(md: CoreMetadata, extras: readonly string[], parent: string, onlyExtras: boolean): Edge[] {
    return md.requiresDist.map((t) => parseRequirement(t))
      .filter((r) => (onlyExtras ? r.marker !== undefined && !applies(r, []) && applies(r, extras) : applies(r, extras)))
      .map((req) => ({ req, parent }));
  }

  const top = requirements.filter((r) => applies(r, [])).map((req) => ({ req }));
  const result = await step({ pins: new Map(), seen: new Map() }, top);
  if (!result) throw new CoreError('solve-failed', `pip requirements cannot be satisfied${on ? ` (Python ${target.python}${on})` : ''}: ${conflict}`);
  return [...result.pins.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

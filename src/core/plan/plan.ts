/**
 * Link order and layer planning. Link order is dependency order (a package after what it depends on;
 * ties by name), so python comes before noarch python packages. Layered plans give each package its own
 * layer while they fit under Docker's 125-layer cap (base layers and the final metadata layer counted);
 * beyond it, the largest and most widely shared packages keep their own layers and the rest are grouped,
 * deterministically, so two environments share the layers of the packages they share.
 */
import { CoreError } from '../errors';

/** Docker refuses images with more layers than this (moby's maxLayerDepth). */
export const DOCKER_MAX_LAYERS = 125;

/** What the planner needs of a package. */
export interface PlannedPackage {
  name: string;
  depends: string[];
  /** archive size in bytes (a proxy for installed size) */
  size?: number;
}

/** Packages many environments share: they keep their own layer even when others are grouped. */
export const SHARED_PACKAGES = new Set([
  'python', 'openssl', 'libstdcxx', 'libstdcxx-ng', 'libgcc', 'libgcc-ng', 'libgomp', 'mkl', 'numpy', 'libblas',
  'libopenblas', 'openblas', 'ca-certificates', 'tzdata', 'ncurses', 'readline', 'sqlite', 'tk', 'xz', 'zlib',
  'libzlib', 'bzip2', 'libffi', 'pip', 'setuptools', 'wheel', 'libsqlite', 'liblzma', 'libuuid', 'libnsl',
  'libxcrypt', 'ld_impl_linux-64', '_libgcc_mutex', '_openmp_mutex', 'libexpat', 'icu', 'libiconv',
]);

/** The group (0..n-1) of a package name: FNV-1a over its UTF-16 code units. */
export function bucketOf(name: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}

/** Sorts packages so each comes after its dependencies (cycles broken by name); ties by name. */
export function orderForLink<T extends PlannedPackage>(pkgs: T[]): T[] {
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const deps = new Map(pkgs.map((p) => [p.name, new Set(p.depends.map((d) => d.split(/[\s=<>!~]/)[0]).filter((d) => byName.has(d) && d !== p.name))]));
  const out: T[] = [];
  const done = new Set<string>();
  const names = [...byName.keys()].sort();
  while (out.length < pkgs.length) {
    const ready = names.filter((n) => !done.has(n) && [...deps.get(n)!].every((d) => done.has(d)));
    // a dependency cycle: take the first remaining name, as conda does in a stable order
    const next = ready.length ? ready : [names.find((n) => !done.has(n))!];
    for (const n of next) { done.add(n); out.push(byName.get(n)!); }
  }
  return out;
}

/** Options of planLayers. */
export interface PlanOptions {
  strategy?: 'layered' | 'single';
  /** layers the base image already has */
  baseLayers: number;
  /** the cap (default Docker's 125) */
  maxLayers?: number;
}

/**
 * Groups packages (already in link order) into layers, bottom first; each group keeps link order.
 * One more layer is reserved on top for conda-meta/history, environment.yml and the lock.
 */
export function planLayers<T extends PlannedPackage>(pkgs: T[], opts: PlanOptions): T[][] {
  if (pkgs.length === 0) return [];
  const cap = (opts.maxLayers ?? DOCKER_MAX_LAYERS) - opts.baseLayers - 1;
  if (cap < 1) throw new CoreError('invalid-argument', `the base image has ${opts.baseLayers} layers: no room under the ${opts.maxLayers ?? DOCKER_MAX_LAYERS}-layer cap for the environment`);
  if (opts.strategy === 'single' || cap === 1) return [pkgs];
  if (pkgs.length <= cap) return pkgs.map((p) => [p]);
  // shared ones first, then by size (name breaks ties), keep their own layers; half the room at most, so the
  // small packages are spread over enough groups that one changed package changes one group
  const rank = [...pkgs].sort((a, b) => Number(SHARED_PACKAGES.has(b.name)) - Number(SHARED_PACKAGES.has(a.name))
    || (b.size ?? 0) - (a.size ?? 0) || (a.name < b.name ? -1 : 1));
  const ownCount = Math.min(cap - 1, Math.max(Math.ceil(cap / 2), cap - Math.ceil((pkgs.length - cap) / 4)));
  const own = new Set(rank.slice(0, ownCount).map((p) => p.name));
  const layers: T[][] = [];
  const buckets = cap - ownCount;
  const groups = new Map<number, T[]>();
  for (const p of pkgs) {
    if (own.has(p.name)) { layers.push([p]); continue; }
    // a package's group depends on its name alone (for a given room), so environments share their groups
    const g = bucketOf(p.name, buckets);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(p);
  }
  // groups go on top of the packages with their own layer, in the link order of their first members
  layers.push(...groups.values());
  return layers;
}

/**
 * An environment: packages linked in order into one prefix, clobbers reported (the later package wins, as
 * conda links them), and conda-meta/history written so `conda list` inside the image shows the environment.
 */
import type { TarWriteEntry } from '../tar';
import { installPackage, withParents, type InstallOptions, type InstalledPackage, type PackageOrigin } from './install';
import type { CondaPackage } from './package';
import { PayloadBodies } from './payload-bodies';

/** Two or more packages writing one path: the last one listed wins. */
export interface Clobber {
  path: string;
  packages: string[];
}

/** What installEnvironment produced. */
export interface InstalledEnvironment {
  packages: InstalledPackage[];
  clobbers: Clobber[];
  /** conda-meta/history, as a tar entry under the prefix */
  history: TarWriteEntry;
  warnings: string[];
}

/** Options of installEnvironment (per-package origins by file name). */
export interface EnvironmentOptions extends Omit<InstallOptions, 'origin'> {
  origins?: Map<string, PackageOrigin>;
  /** the command recorded in conda-meta/history */
  command?: string;
}

/** What history and clobber reports need of a linked package. */
type Linked = Pick<InstalledPackage, 'dist' | 'files' | 'record'>;

/** Links packages in link (dependency) order. */
export async function installEnvironment(pkgs: CondaPackage[], opts: EnvironmentOptions = {}): Promise<InstalledEnvironment> {
  const prefix = (opts.prefix ?? '/opt/conda').replace(/\/+$/, '');
  const epoch = opts.epoch ?? 0;
  const packages: InstalledPackage[] = [];
  const bodies = opts.bodies ?? new PayloadBodies(); // one budget for the whole environment
  for (const pkg of pkgs) {
    const origin = opts.origins?.get(pkg.fn);
    packages.push(await installPackage(pkg, { ...opts, bodies, ...(origin ? { origin } : {}) }));
  }
  const clobbers = findClobbers(packages);
  const warnings = [...packages.flatMap((p) => p.warnings), ...clobberWarnings(packages)];
  const history = historyEntry(packages, { prefix, epoch, command: opts.command });
  return { packages, clobbers, history, warnings };
}

/** Paths written by more than one package (in link order), sorted by path. */
export function findClobbers(packages: Linked[]): Clobber[] {
  const owners = new Map<string, string[]>();
  for (const p of packages) for (const f of p.files) owners.set(f, [...(owners.get(f) ?? []), p.dist]);
  return [...owners.entries()].filter(([, o]) => o.length > 1).map(([path, o]) => ({ path, packages: o }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** One warning per clobbered path: the package linked last wins. */
export function clobberWarnings(packages: Linked[]): string[] {
  return findClobbers(packages).map((c) => `${c.path} is written by ${c.packages.join(', ')}: ${c.packages.at(-1)} wins`);
}

/** conda-meta/history for packages linked in this order, as a tar entry under the prefix; after `previous`, the history the prefix already holds. */
export function historyEntry(packages: Linked[], opts: { prefix: string; epoch: number; command?: string; previous?: string }): TarWriteEntry {
  const when = new Date(opts.epoch * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  // conda appends a revision to the file; a prefix the base already holds keeps its earlier revisions
  const before = opts.previous ? [opts.previous.replace(/\n+$/, '')] : [];
  const lines = [...before, `==> ${when} <==`, `# cmd: ${opts.command ?? 'docker-envs build'}`];
  for (const p of packages) {
    const channel = String(p.record.channel ?? '').replace(/\/+$/, '').split('/').pop() || 'local';
    lines.push(`+${channel}/${p.record.subdir}::${p.dist}`);
  }
  const body = new TextEncoder().encode(lines.join('\n') + '\n');
  const [history] = withParents([{ name: `${opts.prefix.replace(/\/+$/, '').slice(1)}/conda-meta/history`, type: 'file', mode: 0o644, body, size: body.byteLength, uid: 0, gid: 0, mtime: opts.epoch }], opts.epoch)
    .filter((e) => e.type === 'file');
  return history;
}

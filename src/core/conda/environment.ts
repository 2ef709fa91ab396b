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

/** Links packages in link (dependency) order. */
export async function installEnvironment(pkgs: CondaPackage[], opts: EnvironmentOptions = {}): Promise<InstalledEnvironment> {
  const prefix = (opts.prefix ?? '/opt/conda').replace(/\/+$/, '');
  const epoch = opts.epoch ?? 0;
  const packages: InstalledPackage[] = [];
  const owners = new Map<string, string[]>();
  const bodies = opts.bodies ?? new PayloadBodies(); // one budget for the whole environment
  for (const pkg of pkgs) {
    const origin = opts.origins?.get(pkg.fn);
    const inst = await installPackage(pkg, { ...opts, bodies, ...(origin ? { origin } : {}) });
    packages.push(inst);
    for (const f of inst.files) owners.set(f, [...(owners.get(f) ?? []), inst.dist]);
  }
  const clobbers = [...owners.entries()].filter(([, o]) => o.length > 1).map(([path, o]) => ({ path, packages: o }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const warnings = packages.flatMap((p) => p.warnings);
  for (const c of clobbers) warnings.push(`${c.path} is written by ${c.packages.join(', ')}: ${c.packages.at(-1)} wins`);
  const when = new Date(epoch * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  const lines = [`==> ${when} <==`, `# cmd: ${opts.command ?? 'docker-envs build'}`];
  for (const p of packages) {
    const channel = String(p.record.channel ?? '').replace(/\/+$/, '').split('/').pop() || 'local';
    lines.push(`+${channel}/${p.record.subdir}::${p.dist}`);
  }
  const body = new TextEncoder().encode(lines.join('\n') + '\n');
  const [history] = withParents([{ name: `${prefix.slice(1)}/conda-meta/history`, type: 'file', mode: 0o644, body, size: body.byteLength, uid: 0, gid: 0, mtime: epoch }], epoch)
    .filter((e) => e.type === 'file');
  return { packages, clobbers, history, warnings };
}

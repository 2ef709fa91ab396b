/**
 * The Python distributions a conda environment already holds: the `*.dist-info` (and older `*.egg-info`)
 * directories its packages put in site-packages, named `{name}-{version}`. pip treats them as installed, so
 * the pip step does not install them again and a pip requirement they do not satisfy is a conflict.
 */
import { canonicalizeName } from './marker';

/** A distribution found in a conda package's files. */
export interface InstalledDistribution {
  /** normalised project name */
  readonly key: string;
  readonly name: string;
  readonly version: string;
  /** the conda package that installs it (its file name) */
  readonly owner: string;
}

const META_DIR = /^(?:lib\/python\d+\.\d+\/)?site-packages\/([^/]+)\.(dist-info|egg-info)(?:\/|$)/;

/** The distributions the paths (prefix-relative, as paths.json or conda-meta's `files` give them) install. */
export function distributionsInPaths(paths: Iterable<string>, owner: string): InstalledDistribution[] {
  const out = new Map<string, InstalledDistribution>();
  for (const p of paths) {
    const m = META_DIR.exec(p);
    if (!m) continue;
    // dist-info: {name}-{version} with '-' escaped in both; egg-info: {name}-{version}(-py{X.Y}(-{platform})?)?
    const parts = m[1]!.split('-');
    if (parts.length < 2) continue;
    const [name, version] = parts as [string, string];
    const key = canonicalizeName(name);
    if (!out.has(key)) out.set(key, { key, name, version, owner });
  }
  return [...out.values()];
}

/** Distributions by key; a later source (the packages being installed) replaces an earlier one (the base's). */
export function distributionIndex(...lists: readonly (readonly InstalledDistribution[])[]): Map<string, InstalledDistribution> {
  return new Map(lists.flat().map((d) => [d.key, d]));
}

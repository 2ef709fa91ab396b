/**
 * A multi-platform build: the same specs solved and built once per platform, each on the base's manifest for
 * that platform and with that platform's conda subdir (linux/amd64 → linux-64, linux/arm64 → linux-aarch64;
 * noarch for all). The images go into one archive as an OCI index, or to a registry as an image index.
 */
import { CoreError } from '../errors';
import type { Image } from '../image';
import { formatPlatform, type Platform } from '../oci';
import type { SolvedRecord } from '../solver';
import type { LockedWheel } from '../conda/explicit-lock';
import { buildEnvironment, type BuildRequest, type BuildResult } from './build';
import { condaSubdir } from './virtual';

/** The base image for one platform (its manifest for that platform, as openImage picks it). */
export interface PlatformBase {
  platform: Platform;
  base: Image;
  /** this platform's solved lock to install instead of solving (a lock is one subdir's: a share link's, Save again) */
  lock?: SolvedRecord[];
  /** that lock's pip packages (its `# pip` lines), installed as they are */
  pipLock?: LockedWheel[];
}

/** A multi-platform build request: a BuildRequest with one base (and optionally one lock) per platform. */
export type MultiPlatformBuildRequest = Omit<BuildRequest, 'base' | 'lock' | 'pipLock'> & { bases: PlatformBase[] };

/** One platform's build. */
export interface PlatformBuild {
  /** the platform as the image's config states it (what an index lists) */
  platform: Platform;
  /** the conda subdir it was solved for */
  subdir: string;
  result: BuildResult;
}

/**
 * Parses a comma-separated list of `os/arch[/variant]` (`linux/amd64,linux/arm64`); a platform named twice or
 * a malformed one is an error.
 */
export function parsePlatformList(s: string): Platform[] {
  const out: Platform[] = [];
  for (const part of s.split(',').map((p) => p.trim())) {
    const [os, architecture, variant, ...rest] = part.split('/');
    if (!os || !architecture || rest.length) throw new CoreError('invalid-argument', `platform "${part}" must look like linux/amd64 or linux/arm64/v8`);
    const p: Platform = variant ? { os, architecture, variant } : { os, architecture };
    if (out.some((q) => formatPlatform(q) === formatPlatform(p))) throw new CoreError('invalid-argument', `platform ${part} is named twice`);
    out.push(p);
  }
  return out;
}

/**
 * The digest a rebuild pins a base's reference to, given each platform's manifest digest and the index it was
 * chosen from: the manifest's for one platform; for several, the index's, so that every platform resolves
 * again to the same manifest.
 */
export function basePinDigest(bases: Array<{ manifestDigest: string; indexDigest?: string }>): string {
  if (bases.length === 0) throw new CoreError('invalid-argument', 'no base to pin');
  return (bases.length > 1 ? bases[0].indexDigest : undefined) ?? bases[0].manifestDigest;
}

/**
 * The platform of a base image, checked against the one asked for: a base that is not for that platform (a
 * single-platform image given for another) would give an image whose packages do not run on it.
 */
async function checkedPlatform(want: Platform, base: Image): Promise<Platform> {
  const cfg = await base.config();
  const have: Platform = { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) };
  if (have.os !== want.os || have.architecture !== want.architecture || (want.variant && have.variant && want.variant !== have.variant)) {
    throw new CoreError('platform-not-found', `the base image for ${formatPlatform(want)} is for ${formatPlatform(have)}`);
  }
  const variant = want.variant ?? have.variant;
  return { os: have.os, architecture: have.architecture, ...(variant ? { variant } : {}) };
}

/**
 * Builds the environment for every platform, in the order given (the first is the one Docker before 25
 * loads from an archive). Each solve and download finishes before the next platform's starts; the layers
 * of all platforms are built as the runner allows, while the archive is written.
 */
export async function buildEnvironments(req: MultiPlatformBuildRequest): Promise<PlatformBuild[]> {
  if (req.bases.length === 0) throw new CoreError('invalid-argument', 'a multi-platform build needs at least one platform');
  const { bases, ...common } = req;
  const out: PlatformBuild[] = [];
  for (const { platform, base, lock, pipLock } of bases) {
    const checked = await checkedPlatform(platform, base);
    common.onProgress?.('solve', `platform ${formatPlatform(checked)}`);
    const result = await buildEnvironment({ ...common, base, ...(lock ? { lock } : {}), ...(pipLock?.length ? { pipLock } : {}) });
    out.push({ platform: checked, subdir: condaSubdir(checked.os, checked.architecture), result });
  }
  return out;
}

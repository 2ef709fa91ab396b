/**
 * A build in the build worker: the CLI's pipeline (buildEnvironment, or buildEnvironments for several platforms:
 * an OCI index of them in the archive) on a base from the proxy or a tarball,
 * with channels through the proxy or from picked folders, the layers built by the layer workers, and the
 * docker-archive streamed into the picked file (or an OPFS file offered for download). Progress goes to the
 * page throttled: the phase, new log lines, bytes per package and layers built.
 */
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../src/core/archive';
import { memoryBlobStore, overflowBlobStore } from '../src/core/cache';
import { buildEnvironment, type BuildRequest, type BuildResult } from '../src/core/pipeline/build';
import { basePinDigest, buildEnvironments, type PlatformBuild } from '../src/core/pipeline/multi-platform';
import type { Image } from '../src/core/image';
import { formatPlatform } from '../src/core/oci';
import { readExplicitLock, readLockedWheels, writeExplicitLock } from '../src/core/conda/explicit-lock';
import { readPipSection } from '../src/core/pipeline/pip-layer';
import { condaSubdir } from '../src/core/pipeline/virtual';
import type { FetchProgress } from '../src/core/conda/fetch';
import { channelFetches, lockTextOf, openBases, storeFor, workerLayerCache, workerPackageMd5s, type EnvironmentInput } from './environment-input';
import { recordBuild } from './build-history';
import { browserLayerRunner } from './browser-layer-pool';

/** Where and how a build is written. */
export interface BuildOutput {
  /** `name:tag` written into the archive */
  tag: string;
  /** SOURCE_DATE_EPOCH (seconds): file mtimes and `created` */
  epoch: number;
  /** the file the user picked; without one the tar is written to OPFS and returned */
  handle?: FileSystemFileHandle;
  /** false: not added to the history (Save again of an entry already there) */
  record?: boolean;
}

/** One package's download: compressed archive bytes received of `total`. */
export interface PackageProgress { fn: string; bytes: number; total?: number; cached: boolean; done: boolean }

/** A snapshot of a running build. */
export interface BuildProgress {
  phase: 'base' | 'solve' | 'fetch' | 'install' | 'layers' | 'write';
  /** log lines since the previous snapshot */
  log: string[];
  packages: PackageProgress[];
  layers: { done: number; total: number };
}

/** What a build wrote. */
export interface BuiltImage {
  manifestDigest: string;
  tag: string;
  /** bytes of the tar */
  size: number;
  packages: number;
  /** layers added on the base */
  layers: number;
  /** of those, taken from the layer cache instead of built */
  cachedLayers: number;
  warnings: string[];
  /** the explicit lock installed (canonical text: what a share link's sha256 covers) */
  lock: string;
  /** conda's name of the image's platform (linux-64…) */
  subdir: string;
  /** the digest a rebuild pins the base to: its manifest's (several platforms: its index's) */
  baseDigest: string;
  /** a multi-platform build: each platform's image (then manifestDigest is the archive's index digest, the counts are summed, and lock and subdir are the first platform's) */
  platforms?: BuiltPlatform[];
  /** the tar itself when no file was picked (an OPFS file for the page to offer as a download) */
  file?: File;
  /** where the cache is on: the build's history entry and the archive's sha256 */
  history?: { id: number; archiveSha256: string };
}

const THROTTLE_MS = 150;
/** exports older than this are removed when a build starts (their page offered them long ago) */
const STALE_EXPORT_MS = 3600 * 1000;

/**
 * A new OPFS file for a build's archive when no file was picked: a name of its own, so tabs building at once
 * never write one file; stale ones (closed tabs) are removed.
 */
async function exportFile(): Promise<FileSystemFileHandle> {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('exports', { create: true });
  for await (const [name, h] of (dir as FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (!name.startsWith('build-') || h.kind !== 'file') continue;
    const f = await (h as FileSystemFileHandle).getFile().catch(() => undefined);
    if (f && Date.now() - f.lastModified > STALE_EXPORT_MS) await dir.removeEntry(name).catch(() => {});
  }
  return dir.getFileHandle(`build-${crypto.randomUUID()}.tar`, { create: true });
}

/** One platform's image of a multi-platform build. */
export interface BuiltPlatform {
  /** os/architecture[/variant] */
  platform: string;
  /** conda's name of its platform (linux-64…) */
  subdir: string;
  manifestDigest: string;
  packages: number;
  /** the explicit lock installed for it (canonical text) */
  lock: string;
}

/** Runs one build; see the module comment. Several platforms (`input.base.platform` lists them) give an OCI index. */
export async function buildInWorker(proxyBase: string, input: EnvironmentInput, output: BuildOutput, onProgress?: (p: BuildProgress) => void): Promise<BuiltImage> {
  let phase: BuildProgress['phase'] = 'base';
  let log: string[] = [];
  const packages = new Map<string, PackageProgress>();
  const layers = { done: 0, total: 0 };
  let last = 0;
  const send = (force = false) => {
    const now = Date.now();
    if (!onProgress || (!force && now - last < THROTTLE_MS)) return;
    last = now;
    onProgress({ phase, log, packages: [...packages.values()], layers: { ...layers } });
    log = [];
  };
  const stage = (p: BuildProgress['phase'], line: string) => { phase = p; log.push(`${p}: ${line}`); send(true); };
  stage('base', 'file' in input.base ? `reading ${input.base.file.name}` : `pulling ${input.base.ref} (${input.base.platform})`);
  const bases = await openBases(proxyBase, input.base);
  const fetches = channelFetches(proxyBase, input.channels);
  if (input.shared) stage('base', `rebuilding the shared lock's ${input.shared.map((l) => l.packages.length).join(' + ')} packages from the channels' repodata`);
  const locks = await Promise.all(bases.map((_, i) => lockTextOf(input, fetches.repodata, i)));
  const layerCache = await workerLayerCache();
  const packageMd5s = await workerPackageMd5s();
  const cacheWarnings: string[] = [];
  // a full quota mid-build: the packages still to come are kept in memory, and the build finishes uncached
  const store = overflowBlobStore(await storeFor('package'), memoryBlobStore(), () => {
    cacheWarnings.push('package cache: the storage quota is exceeded; the rest of this build is not cached');
    log.push(`fetch: warning: ${cacheWarnings[0]}`);
  });
  const common: Omit<BuildRequest, 'base'> = {
    specs: input.specs, channels: input.channels.map((c) => c.url), store, fetch: fetches.net, repodataFetch: fetches.repodata,
    // the pip indexes and wheels are read through the proxy, as the packages are (fetches.net)
    ...(input.pip?.length ? { pip: readPipSection(input.pip) } : {}),
    epoch: output.epoch, layerRunner: browserLayerRunner(), ...(layerCache ? { layerCache } : {}), ...(packageMd5s ? { packageMd5s } : {}),
    ...(input.prefix ? { prefix: input.prefix } : {}),
    ...(input.strategy ? { strategy: input.strategy } : {}), ...(input.maxLayers ? { maxLayers: input.maxLayers } : {}),
    ...(input.variables && Object.keys(input.variables).length ? { variables: input.variables } : {}), ...(input.image ? { image: input.image } : {}),
    onProgress: (s, detail) => {
      const step = /^(\d+)\/(\d+): /.exec(detail);
      if (s === 'layers' && step) [layers.done, layers.total] = [Number(step[1]), Number(step[2])];
      if (s === 'fetch' && phase === 'fetch') { log.push(`fetched ${detail}`); return send(); }
      stage(s, detail);
    },
    onFetchProgress: (p: FetchProgress) => { packages.set(p.fn, { ...p }); send(); },
  };
  // a lock's pip packages (its `# pip` lines) are installed as they are, as the CLI's build --lock does
  const lockOf = (i: number) => (locks[i] ? { lock: readExplicitLock(locks[i]), pipLock: readLockedWheels(locks[i]) } : {});
  const builds: PlatformBuild[] = bases.length > 1
    ? await buildEnvironments({ ...common, bases: bases.map((b, i) => ({ platform: b.platform!, base: b.image, ...lockOf(i) })) })
    : [await singleBuild(bases[0].image, await buildEnvironment({ ...common, base: bases[0].image, ...lockOf(0) }))];
  layers.total = builds.reduce((n, b) => n + b.result.layers.length, 0);
  const multi = builds.length > 1;
  stage('write', `${output.tag}${multi ? `: ${builds.map((b) => formatPlatform(b.platform)).join(', ')}` : ''} (while the layers are built)`);
  let target = output.handle;
  target ??= await exportFile();
  let written: string | undefined;
  const item = multi ? { platforms: builds.map((b) => ({ image: b.result.image, platform: b.platform })), tags: [output.tag] } : { image: builds[0].result.image, tags: [output.tag] };
  await writeDockerArchiveToSeekable([item], fileSystemWritableSink(await target.createWritable()), { mtime: output.epoch, onItem: (_, d) => { written = d; } });
  const warnings = [...cacheWarnings, ...(await Promise.all(builds.map(async (b) => (await b.result.warnings).map((w) => (multi ? `${formatPlatform(b.platform)}: ${w}` : w))))).flat()];
  const file = await target.getFile();
  layers.done = layers.total;
  stage('write', `${file.size} bytes written`);
  const per: BuiltPlatform[] = await Promise.all(builds.map(async (b) => ({
    platform: formatPlatform(b.platform), subdir: b.subdir, manifestDigest: await b.result.image.digest(), packages: b.result.solved.length,
    lock: writeExplicitLock(b.result.solved, b.subdir, b.result.pipWheels),
  })));
  const cached = (await Promise.all(builds.map(async (b) => (await b.result.layerSources).filter((s) => s === 'cached').length))).reduce((a, n) => a + n, 0);
  const built: BuiltImage = {
    manifestDigest: multi ? written! : per[0].manifestDigest, tag: output.tag, size: file.size, packages: per.reduce((n, p) => n + p.packages, 0),
    // the conda layers, the pip layer (when pip packages were installed) and the metadata layer
    layers: builds.reduce((n, b) => n + b.result.layers.length + (b.result.pipWheels.length ? 2 : 1), 0), cachedLayers: cached, warnings,
    lock: per[0].lock, subdir: per[0].subdir, baseDigest: basePinDigest(bases), ...(multi ? { platforms: per } : {}), ...(output.handle ? {} : { file }),
  };
  const history = output.record === false ? undefined : await recordBuild(input, output, built, file);
  return { ...built, ...(history ? { history } : {}) };
}

/** A one-platform build as a PlatformBuild (its platform from the base's config). */
async function singleBuild(base: Image, result: BuildResult): Promise<PlatformBuild> {
  const cfg = await base.config();
  const platform = { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) };
  return { platform, subdir: condaSubdir(cfg.os, cfg.architecture), result };
}

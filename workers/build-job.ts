/**
 * A build in the build worker: the CLI's pipeline (buildEnvironment) on a base from the proxy or a tarball,
 * with channels through the proxy or from picked folders, the layers built by the layer workers, and the
 * docker-archive streamed into the picked file (or an OPFS file offered for download). Progress goes to the
 * page throttled: the phase, new log lines, bytes per package and layers built.
 */
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../src/core/archive';
import { memoryBlobStore, overflowBlobStore } from '../src/core/cache';
import { buildEnvironment } from '../src/core/pipeline/build';
import { readExplicitLock, writeExplicitLock } from '../src/core/conda/explicit-lock';
import { condaSubdir } from '../src/core/pipeline/virtual';
import type { FetchProgress } from '../src/core/conda/fetch';
import { channelFetches, lockTextOf, openBase, storeFor, workerLayerCache, type EnvironmentInput } from './environment-input';
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
  /** the base image's manifest digest */
  baseDigest: string;
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

/** Runs one build; see the module comment. */
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
  const base = await openBase(proxyBase, input.base);
  const fetches = channelFetches(proxyBase, input.channels);
  if (input.shared) stage('base', `rebuilding the shared lock's ${input.shared.packages.length} packages from the channels' repodata`);
  const lock = await lockTextOf(input, fetches.repodata);
  const layerCache = await workerLayerCache();
  const cacheWarnings: string[] = [];
  // a full quota mid-build: the packages still to come are kept in memory, and the build finishes uncached
  const store = overflowBlobStore(await storeFor('package'), memoryBlobStore(), () => {
    cacheWarnings.push('package cache: the storage quota is exceeded; the rest of this build is not cached');
    log.push(`fetch: warning: ${cacheWarnings[0]}`);
  });
  const result = await buildEnvironment({
    base, specs: input.specs, channels: input.channels.map((c) => c.url), store, fetch: fetches.net, repodataFetch: fetches.repodata,
    epoch: output.epoch, layerRunner: browserLayerRunner(), ...(layerCache ? { layerCache } : {}),
    ...(lock ? { lock: readExplicitLock(lock) } : {}), ...(input.prefix ? { prefix: input.prefix } : {}),
    ...(input.strategy ? { strategy: input.strategy } : {}), ...(input.maxLayers ? { maxLayers: input.maxLayers } : {}),
    ...(input.variables && Object.keys(input.variables).length ? { variables: input.variables } : {}), ...(input.image ? { image: input.image } : {}),
    onProgress: (s, detail) => {
      const step = /^(\d+)\/(\d+): /.exec(detail);
      if (s === 'layers' && step) [layers.done, layers.total] = [Number(step[1]), Number(step[2])];
      if (s === 'fetch' && phase === 'fetch') { log.push(`fetched ${detail}`); return send(); }
      stage(s, detail);
    },
    onFetchProgress: (p: FetchProgress) => { packages.set(p.fn, { ...p }); send(); },
  });
  layers.total = result.layers.length;
  stage('write', `${output.tag} (while the layers are built)`);
  let target = output.handle;
  target ??= await exportFile();
  await writeDockerArchiveToSeekable([{ image: result.image, tags: [output.tag] }], fileSystemWritableSink(await target.createWritable()), { mtime: output.epoch });
  const warnings = [...cacheWarnings, ...await result.warnings];
  const file = await target.getFile();
  const cfg = await base.config();
  const subdir = condaSubdir(cfg.os, cfg.architecture);
  layers.done = layers.total;
  stage('write', `${file.size} bytes written`);
  const built: BuiltImage = {
    manifestDigest: await result.image.digest(), tag: output.tag, size: file.size, packages: result.solved.length,
    layers: result.layers.length + 1, cachedLayers: (await result.layerSources).filter((s) => s === 'cached').length, warnings,
    lock: writeExplicitLock(result.solved, subdir), subdir, baseDigest: await base.digest(), ...(output.handle ? {} : { file }),
  };
  const history = output.record === false ? undefined : await recordBuild(input, output, built, file);
  return { ...built, ...(history ? { history } : {}) };
}

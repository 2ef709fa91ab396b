/**
 * A build in the build worker: the CLI's pipeline (buildEnvironment) on a base from the proxy or a tarball,
 * with channels through the proxy or from picked folders, the layers built by the layer workers, and the
 * docker-archive streamed into the picked file (or an OPFS file offered for download). Progress goes to the
 * page throttled: the phase, new log lines, bytes per package and layers built.
 */
import { fileSystemWritableSink, writeDockerArchiveToSeekable } from '../src/core/archive';
import { buildEnvironment } from '../src/core/pipeline/build';
import { readExplicitLock, writeExplicitLock } from '../src/core/conda/explicit-lock';
import { condaSubdir } from '../src/core/pipeline/virtual';
import type { FetchProgress } from '../src/core/conda/fetch';
import { blobStore, channelFetches, lockTextOf, openBase, type EnvironmentInput } from './environment-input';
import { browserLayerRunner } from './browser-layer-pool';

/** Where and how a build is written. */
export interface BuildOutput {
  /** `name:tag` written into the archive */
  tag: string;
  /** SOURCE_DATE_EPOCH (seconds): file mtimes and `created` */
  epoch: number;
  /** the file the user picked; without one the tar is written to OPFS and returned */
  handle?: FileSystemFileHandle;
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
  warnings: string[];
  /** the explicit lock installed (canonical text: what a share link's sha256 covers) */
  lock: string;
  /** conda's name of the image's platform (linux-64…) */
  subdir: string;
  /** the base image's manifest digest */
  baseDigest: string;
  /** the tar itself when no file was picked (an OPFS file for the page to offer as a download) */
  file?: File;
}

const THROTTLE_MS = 150;

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
  const result = await buildEnvironment({
    base, specs: input.specs, channels: input.channels.map((c) => c.url), store: await blobStore(), fetch: fetches.net, repodataFetch: fetches.repodata,
    epoch: output.epoch, layerRunner: browserLayerRunner(),
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
  if (!target) {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('exports', { create: true });
    target = await dir.getFileHandle('build.tar', { create: true });
  }
  await writeDockerArchiveToSeekable([{ image: result.image, tags: [output.tag] }], fileSystemWritableSink(await target.createWritable()), { mtime: output.epoch });
  const warnings = await result.warnings;
  const file = await target.getFile();
  const cfg = await base.config();
  const subdir = condaSubdir(cfg.os, cfg.architecture);
  layers.done = layers.total;
  stage('write', `${file.size} bytes written`);
  return {
    manifestDigest: await result.image.digest(), tag: output.tag, size: file.size, packages: result.solved.length,
    layers: result.layers.length + 1, warnings, lock: writeExplicitLock(result.solved, subdir), subdir, baseDigest: await base.digest(), ...(output.handle ? {} : { file }),
  };
}

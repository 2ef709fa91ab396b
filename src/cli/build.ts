import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openRegularFileBlob } from '../core/cache/file-blob.node.js';
import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { formatPlatform } from '../core/oci';
import { spillToTempFile } from '../core/archive/spill.node.js';
import { nodeLayerRunner } from '../core/pipeline/layer-thread-pool.node.js';
import { startLayerThread } from './layer-threads.node.js';
import { buildEnvironment, buildEnvironments, parsePlatformList, readPipSection, resolveSolvedPip, solveForBase, type BuildRequest, type PlatformBuild } from '../core/pipeline';
import { folderBlobStore } from '../core/cache/blob-store.node.js';
import { folderRecordStore } from '../core/cache/record-store.node.js';
import { layerCache } from '../core/pipeline/layer-cache';
import { readEnvironmentYaml, readExplicitLock, readLockedWheels, writeExplicitLock } from '../core/conda';
import { cachingFetch } from '../core/conda/repodata-cache';
import { localChannelsFetch, localChannelUrl } from '../core/conda/channel-folder.node.js';
import { folderRepodataStore } from '../core/conda/repodata-store.node.js';
import { CoreError } from '../core/errors';
import type { Image } from '../core/image';
import { sourceDateEpoch } from '../core/api/node.node.js';
import { defaultCacheDir } from '../core/image/open.node.js';
import { openImageArg } from './open-image';
import { pushTo } from './pull';

/** Options of `docker-envs build`. */
export interface BuildCliOptions {
  base: string;
  tag: string;
  specs: string[];
  channels: string[];
  /** the docker-archive to write (one of output and push, or both) */
  output?: string;
  /** a registry reference to push the image to */
  push?: string;
  file?: string;
  lock?: string;
  platform?: string;
  prefix?: string;
  layering?: 'layered' | 'single';
  maxLayers?: number;
  /** the image's entrypoint, command and extra labels */
  image?: BuildRequest['image'];
  creds?: string;
  /** plain http to the base's registry */
  insecure?: boolean;
  cache?: string;
  /** false: every layer is built (default: built layers are kept in and taken from the cache folder) */
  layerCache?: boolean;
  log?: (s: string) => void;
  /** a terminal: per-package progress goes to one line rewritten in place instead of a line each */
  progress?: { write(s: string): unknown; isTTY?: boolean };
}

/**
 * The build's progress as the CLI shows it: every stage on its own line; on a terminal the per-package
 * events (each fetched package, each built layer) update one counter line in place, elsewhere (logs,
 * CI) each is a line of its own.
 */
export function buildProgress(log: (s: string) => void, tty?: { write(s: string): unknown; isTTY?: boolean }): { event: (stage: string, detail: string) => void; end: () => void } {
  const live = tty?.isTTY ? tty : undefined;
  let counting: { stage: string; done: number; total: number } | undefined;
  let shown = false;
  let last = 0;
  const clear = () => { if (shown) { live!.write('\r\x1b[K'); shown = false; } };
  return {
    event(stage, detail) {
      const total = /^(\d+) packages$/.exec(detail);
      const step = /^(\d+)\/(\d+): (.*)$/.exec(detail);
      if (!live) return log(`${stage}: ${detail}`);
      if (stage === 'fetch' && total) { clear(); log(`${stage}: ${detail}`); counting = { stage, done: 0, total: Number(total[1]) }; return; }
      if (stage === 'fetch' && counting?.stage === 'fetch') counting.done++;
      else if (stage === 'layers' && step) counting = { stage, done: Number(step[1]), total: Number(step[2]) };
      else { clear(); log(`${stage}: ${detail}`); return; }
      const now = Date.now();
      if (now - last < 80 && counting.done < counting.total) return;
      last = now;
      const name = stage === 'layers' && step ? step[3] : detail;
      live.write(`\r\x1b[K  ${stage} ${counting.done}/${counting.total}: ${name.slice(0, 60)}`);
      shown = true;
    },
    end: clear,
  };
}

/** The base image: an image tarball, an OCI layout folder or a registry reference (pulled through the blob cache). */
async function loadBase(o: Pick<BuildCliOptions, 'base' | 'creds' | 'insecure' | 'platform' | 'cache'>, log: (s: string) => void): Promise<Image> {
  const opened = await openImageArg(o.base, { platform: o.platform, creds: o.creds, insecure: o.insecure, cache: o.cache });
  if (opened.source === 'registry') log(`base ${opened.tags[0]} (${opened.manifestDigest})`);
  for (const w of opened.warnings) log(`warning: ${w}`);
  return opened.image;
}

/**
 * The specs and channels asked for: -p and --file's dependencies, -c and --file's channels (default
 * conda-forge); --file's variables and what it holds that is not used (as warnings).
 */
function requested(o: Pick<BuildCliOptions, 'file' | 'specs' | 'channels'>): { specs: string[]; channels: string[]; variables: Record<string, string>; warnings: string[]; pip: string[] } {
  const env = o.file ? readEnvironmentYaml(readFileSync(o.file, 'utf8')) : undefined;
  const specs = [...env?.dependencies ?? [], ...o.specs];
  // a folder (./channel, /abs/channel) is known by its file:/// URL, as conda records it
  const channels = [...new Set([...o.channels, ...env?.channels ?? []].map((c) => localChannelUrl(c)))];
  if (channels.length === 0) channels.push('conda-forge');
  return { specs, channels, variables: env?.variables ?? {}, warnings: env?.warnings ?? [], pip: env?.pip ?? [] };
}

/** Options of `docker-envs solve`. */
export type SolveCliOptions = Pick<BuildCliOptions, 'base' | 'specs' | 'channels' | 'file' | 'platform' | 'prefix' | 'creds' | 'insecure' | 'cache' | 'log'>;

/**
 * `docker-envs solve`: the packages the specs resolve to for the base image (its platform, glibc and any conda
 * prefix it holds), as an explicit lock that `build --lock` installs.
 */
export async function solveToLock(o: SolveCliOptions): Promise<{ lock: string; packages: number; pip: string[]; subdir: string; virtual: string[]; warnings: string[] }> {
  const cache = o.cache ?? defaultCacheDir();
  mkdirSync(cache, { recursive: true });
  const log = o.log ?? (() => {});
  const base = await loadBase({ ...o, cache }, log);
  const { specs, channels, warnings, pip } = requested(o);
  for (const w of warnings) log(`warning: ${w}`);
  if (specs.length === 0) throw new CoreError('invalid-argument', 'nothing to solve: give -p SPEC or --file environment.yml');
  const net = localChannelsFetch(channels);
  const r = await solveForBase({
    base, specs, channels, ...(o.prefix ? { prefix: o.prefix } : {}),
    repodataFetch: cachingFetch(net, { store: folderRepodataStore(join(cache, 'repodata')) }),
    onProgress: (stage, detail) => log(`${stage}: ${detail}`),
  });
  const solveWarnings = [...r.warnings];
  // the conda packages are fetched into the cache (as build would) to learn which Python distributions they install
  const wheels = pip.length ? await resolveSolvedPip(r, readPipSection(pip, { base: pathToFileURL(`${dirname(resolve(o.file!))}/`).href }), {
    store: folderBlobStore(join(cache, 'blobs')), fetch: net, architecture: (await base.config()).architecture, openLocal: openLocalWheel,
    warn: (w) => solveWarnings.push(w), onProgress: (stage, detail) => log(`${stage}: ${detail}`),
  }) : [];
  return {
    lock: writeExplicitLock(r.solved, r.subdir, wheels), packages: r.solved.length, pip: wheels.map((w) => `${w.name}==${w.version}`),
    subdir: r.subdir, virtual: r.virtualPackages.map((v) => `${v.name}=${v.version}`), warnings: solveWarnings,
  };
}

/** Reads a local wheel (a file:// URL) as a regular file. */
const openLocalWheel = (url: string) => openRegularFileBlob(fileURLToPath(url));

/** What `docker-envs build` reports (`platforms`: each platform's image, for a multi-platform build). */
export interface BuildCliResult {
  digest: string;
  id: string;
  packages: number;
  layers: number;
  cachedLayers: number;
  warnings: string[];
  pushed?: string;
  platforms?: Array<{ platform: string; subdir: string; digest: string; id: string; packages: number; layers: number; cachedLayers: number }>;
}

/**
 * `docker-envs build`: base + conda packages → a docker-archive tar and/or a registry. `digest` is the
 * manifest digest of the image as built (layers uncompressed), `pushed` the one the registry holds (layers
 * gzipped for the push), `id` the config digest both share (the image ID docker shows).
 */
export async function buildToArchive(o: BuildCliOptions): Promise<BuildCliResult> {
  // the layer workers start loading now, while the base image and the lock are read
  const layerRunner = nodeLayerRunner({ warm: true, startThread: startLayerThread });
  const cache = o.cache ?? defaultCacheDir();
  mkdirSync(cache, { recursive: true });
  const store = folderBlobStore(join(cache, 'blobs'));
  const log = o.log ?? (() => {});
  const progress = buildProgress(log, o.progress);
  const platforms = o.platform?.includes(',') ? parsePlatformList(o.platform) : undefined;
  if (platforms && o.lock) throw new CoreError('invalid-argument', '--lock holds one platform\'s packages: give one --platform with it');
  const bases = platforms
    ? await Promise.all(platforms.map(async (p) => ({ platform: p, base: await loadBase({ ...o, cache, platform: formatPlatform(p) }, log) })))
    : undefined;
  const base = bases ? undefined : await loadBase({ ...o, cache }, log);
  const { specs, channels, variables, warnings, pip } = requested(o);
  const lockText = o.lock ? readFileSync(o.lock, 'utf8') : undefined;
  const lock = lockText !== undefined ? readExplicitLock(lockText) : undefined;
  // the lock's pip packages (conda-lock's `# pip name @ url#sha256=…` lines) are installed as they are
  const pipLock = lockText !== undefined ? readLockedWheels(lockText) : [];
  if (!lock && specs.length === 0) throw new CoreError('invalid-argument', 'nothing to install: give -p SPEC, --file environment.yml or --lock');
  const epoch = sourceDateEpoch();
  const net = localChannelsFetch(channels, lock);
  const common: Omit<BuildRequest, 'base'> = {
    specs, channels, store, epoch, fetch: net, ...(lock ? { lock } : {}), ...(Object.keys(variables).length ? { variables } : {}),
    ...(o.prefix ? { prefix: o.prefix } : {}), ...(o.layering ? { strategy: o.layering } : {}), ...(o.maxLayers ? { maxLayers: o.maxLayers } : {}),
    ...(o.image ? { image: o.image } : {}),
    // local wheels are read relative to the environment.yml's folder
    ...(pip.length ? { pip: readPipSection(pip, { base: pathToFileURL(`${dirname(resolve(o.file!))}/`).href }) } : {}),
    ...(pipLock.length ? { pipLock } : {}), pipOpenLocal: openLocalWheel,
    layerSpill: spillToTempFile,
    // the layers are built in worker threads, one per core, while this thread writes the archive
    layerRunner,
    // built layers kept in the cache folder (tars among the blobs, records under layers/): a rebuild builds none
    // and the md5s and sizes of stored packages a lock lacks (under package-md5/): such a rebuild reads no package either
    ...(o.layerCache === false ? {} : { layerCache: layerCache(store, folderRecordStore(join(cache, 'layers'))), packageMd5s: folderRecordStore(join(cache, 'package-md5')) }),
    // repodata kept in the cache folder between runs (shards verified by name)
    repodataFetch: cachingFetch(net, { store: folderRepodataStore(join(cache, 'repodata')) }),
    onProgress: (stage, detail) => progress.event(stage, detail),
  };
  try {
    if (bases) return await writeMultiPlatform(o, await buildEnvironments({ ...common, bases }), epoch, warnings, progress.event);
    const result = await buildEnvironment({ ...common, base: base! });
    if (o.output) {
      progress.event('write', `${o.output} (while the layers are built)`);
      await writeDockerArchiveToFile([{ image: result.image, tags: [o.tag] }], o.output, { mtime: epoch });
    }
    let pushed: string | undefined;
    if (o.push) {
      progress.event('push', o.push);
      pushed = (await pushTo(result.image, o.push, o)).digest;
    }
    const cachedLayers = (await result.layerSources).filter((s) => s === 'cached').length;
    return { digest: await result.image.digest(), id: (await result.image.manifest()).config.digest, packages: result.solved.length, layers: result.layers.length + (result.pip.length ? 2 : 1), cachedLayers, warnings: [...warnings, ...await result.warnings], ...(pushed ? { pushed } : {}) };
  } finally {
    progress.end();
  }
}

/**
 * The archive and/or push of a multi-platform build: an OCI index of every platform (manifest.json: the
 * first), an image index in the registry. `digest` is the archive's index digest (without -o, the pushed one's);
 * `platforms` has each platform's image as built; the counts are summed over them.
 */
async function writeMultiPlatform(o: BuildCliOptions, builds: PlatformBuild[], epoch: number, warnings: string[], event: (stage: string, detail: string) => void): Promise<BuildCliResult> {
  const images = builds.map((b) => ({ image: b.result.image, platform: b.platform }));
  let digest: string | undefined;
  if (o.output) {
    event('write', `${o.output}: ${builds.map((b) => formatPlatform(b.platform)).join(', ')} (while the layers are built)`);
    await writeDockerArchiveToFile([{ platforms: images, tags: [o.tag] }], o.output, { mtime: epoch, onItem: (_, d) => { digest = d; } });
  }
  let pushed: string | undefined;
  if (o.push) {
    event('push', o.push);
    pushed = (await pushTo(images, o.push, o)).digest;
  }
  const per = await Promise.all(builds.map(async (b) => ({
    platform: formatPlatform(b.platform), subdir: b.subdir, digest: await b.result.image.digest(), id: (await b.result.image.manifest()).config.digest,
    packages: b.result.solved.length, layers: b.result.layers.length + 1, cachedLayers: (await b.result.layerSources).filter((s) => s === 'cached').length,
    warnings: await b.result.warnings,
  })));
  return {
    digest: digest ?? pushed!, id: per[0].id, packages: per.reduce((n, p) => n + p.packages, 0), layers: per.reduce((n, p) => n + p.layers, 0),
    cachedLayers: per.reduce((n, p) => n + p.cachedLayers, 0), warnings: [...warnings, ...per.flatMap((p) => p.warnings.map((w) => `${p.platform}: ${w}`))],
    platforms: per.map(({ warnings: _, ...p }) => p), ...(pushed ? { pushed } : {}),
  };
}

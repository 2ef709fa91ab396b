/**
 * The solve worker: the Build view's preview before any package is downloaded (solve with rattler's wasm,
 * plan the layers). A pip list is resolved too, which needs the conda packages (what Python distributions
 * they install): they are fetched into the package cache, where the build then finds them. The page cancels a preview freely (which terminates this worker), so it never shares a
 * worker with a build.
 */
import { expose } from 'comlink';
import { resolveSolvedPip, solveForBase } from '../src/core/pipeline/build';
import { readPipSection } from '../src/core/pipeline/pip-layer';
import { condaSubdir, virtualPackagesFor } from '../src/core/pipeline/virtual';
import { readExplicitLock, readLockedWheels, writeExplicitLock, type LockedWheel } from '../src/core/conda/explicit-lock';
import { orderForLink, planLayers } from '../src/core/plan';
import type { SolvedRecord } from '../src/core/solver';
import { channelSubdirs, resolveChannel } from '../src/core/conda/channel';
import { loadRepodata, packageNames } from '../src/core/conda/repodata';
import { blobStore, channelFetches, lockTextOf, openBases, storeFor, type ChannelInput, type EnvironmentInput } from './environment-input';
import { storageNeed, type StorageNeed } from '../src/core/cache/storage-fit';
import { registerErrorTransfer } from './error-transfer';
import { withCacheShared } from './cache-admin';

registerErrorTransfer();

/** A package of the preview. */
export interface PreviewPackage { name: string; version: string; build: string; channel: string; fn: string; size?: number }

/** What a build of the input will install, before anything is downloaded. */
export interface SolvePreview {
  /** conda's name of the base's platform (linux-64…) */
  subdir: string;
  virtualPackages: string[];
  /** in link order */
  packages: PreviewPackage[];
  /** bytes to download (compressed archives, as repodata states them; packages without a size are left out) */
  downloadSize: number;
  /** layers of the base image */
  baseLayers: number;
  /** packages the base's prefix already holds (kept as they are) */
  basePackages: string[];
  /** the pip packages (a lock's, or the pip list resolved), installed in a layer after the conda layers */
  pip: LockedWheel[];
  /** the new layers, bottom first: their packages' names and download bytes (the pip and conda-meta layers follow) */
  layers: Array<{ packages: string[]; size: number }>;
  warnings: string[];
  /** the solve as an explicit lock (a build of it gives the same image) */
  lock: string;
  /** the base image's manifest digest */
  baseDigest: string;
  /** the digest of the index the base's manifest was chosen from (a multi-platform link pins the base to it) */
  baseIndexDigest?: string;
  /** the bytes the build needs in the browser's storage (the page compares them with its estimate) */
  storageNeed: StorageNeed;
}

/** Longest prefix conda-build's placeholder leaves room for in binaries. */
const PLACEHOLDER_LENGTH = 255;

/** The build's storage need: packages the cache lacks, the layers and the archive. */
async function storageOf(solved: SolvedRecord[], downloadSize: number, baseLayerSizes: number[]): Promise<StorageNeed> {
  const store = await blobStore();
  const missing = await Promise.all(solved.map(async (r) => (r.sha256 && await store.has(`sha256:${r.sha256}`) ? 0 : r.size ?? 0)));
  return storageNeed({ uncachedPackages: missing.reduce((a, b) => a + b, 0), packages: downloadSize, baseLayers: baseLayerSizes.reduce((a, b) => a + b, 0) });
}

const api = {
  /**
   * Package names of the channels (the subdir and noarch) for autocomplete, and the versions of `name` when
   * given (newest first). A channel that cannot be read is left out: the preview reports it.
   */
  async packageIndex(proxyBase: string, channels: ChannelInput[], subdir: string, name?: string): Promise<{ names: string[]; versions: string[] }> {
    const fetches = channelFetches(proxyBase, channels);
    const names = new Set<string>();
    const versions = new Set<string>();
    await Promise.all(channels.flatMap((c) => channelSubdirs(subdir).map(async (sub) => {
      const ch = resolveChannel(c.url);
      try {
        for (const n of await packageNames(ch, sub, { fetch: fetches.repodata })) names.add(n);
        if (name) for (const r of (await loadRepodata(ch, sub, { fetch: fetches.repodata, names: [name] })).records) if (r.name === name) versions.add(r.version);
      } catch { /* unreadable: the preview names it */ }
    })));
    return { names: [...names].sort(), versions: [...versions].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })) };
  },
  /** Solves the input for its base and plans the layers; a pasted lock is planned without solving. */
  async preview(proxyBase: string, input: EnvironmentInput): Promise<SolvePreview> {
    const [opened] = await openBases(proxyBase, input.base);
    const base = opened.image;
    const fetches = channelFetches(proxyBase, input.channels);
    const cfg = await base.config();
    const warnings: string[] = [];
    let solved: SolvedRecord[];
    let subdir: string;
    let virtual: string[];
    let basePackages: string[] = [];
    let pip: LockedWheel[] = [];
    const lock = await lockTextOf(input, fetches.repodata);
    if (lock) {
      solved = orderForLink(readExplicitLock(lock));
      pip = readLockedWheels(lock);
      subdir = condaSubdir(cfg.os, cfg.architecture);
      virtual = (await virtualPackagesFor(base)).map((v) => `${v.name} ${v.version}`);
    } else {
      const r = await solveForBase({ base, specs: input.specs, channels: input.channels.map((c) => c.url), ...(input.prefix ? { prefix: input.prefix } : {}), repodataFetch: fetches.repodata });
      ({ solved, subdir } = r);
      virtual = r.virtualPackages.map((v) => `${v.name} ${v.version}`);
      basePackages = r.installed.map((p) => `${p.name}=${p.version}=${p.build}`);
      warnings.push(...r.warnings);
      if (input.pip?.length) {
        // the packages go into the cache as a build's do: eviction and Clear wait meanwhile
        const section = readPipSection(input.pip);
        pip = await withCacheShared(async () => resolveSolvedPip(r, section, { store: await storeFor('package'), fetch: fetches.net, architecture: cfg.architecture, warn: (w) => warnings.push(w) }));
      }
    }
    if (cfg.os === 'linux' && !virtual.some((v) => v.startsWith('__glibc '))) warnings.push('the base image has no glibc: packages built against glibc will not run in it');
    const prefix = (input.prefix ?? '/opt/conda').replace(/\/+$/, '');
    if (prefix.length > PLACEHOLDER_LENGTH) warnings.push(`the prefix is ${prefix.length} characters: longer than the ${PLACEHOLDER_LENGTH} binaries reserve for it, so packages with binary prefix placeholders cannot be installed`);
    const baseLayers = (await base.layers()).length;
    const plan = planLayers(solved, { baseLayers, strategy: input.strategy ?? 'layered', ...(input.maxLayers ? { maxLayers: input.maxLayers } : {}) });
    const sizeOf = (r: SolvedRecord) => r.size ?? 0;
    const downloadSize = solved.reduce((n, r) => n + sizeOf(r), 0);
    const need = await storageOf(solved, downloadSize, await Promise.all((await base.layers()).map((l) => l.size())));
    return {
      subdir, virtualPackages: virtual, baseLayers, basePackages, warnings,
      packages: solved.map((r) => ({ name: r.name, version: r.version, build: r.build, channel: r.channel, fn: r.fn, ...(r.size !== undefined ? { size: r.size } : {}) })),
      downloadSize, storageNeed: need,
      layers: plan.map((g) => ({ packages: g.map((r) => r.name), size: g.reduce((n, r) => n + sizeOf(r), 0) })),
      pip, lock: writeExplicitLock(solved, subdir, pip), baseDigest: opened.manifestDigest, ...(opened.indexDigest ? { baseIndexDigest: opened.indexDigest } : {}),
    };
  },
};
expose(api);
export type SolveApi = typeof api;

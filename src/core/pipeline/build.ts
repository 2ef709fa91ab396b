/**
 * The pipeline: spec → solve → fetch → install → plan → image. Used by the CLI (and the build worker).
 * Every layer is deterministic, so the same spec, lock and base give the same image digest anywhere.
 */
import type { BlobStore, RecordStore } from '../cache';
import { clobberWarnings, fetchPackages, type FetchProgress, historyEntry, writeEnvironmentYaml, writeExplicitLock, type PackageOrigin } from '../conda';
import { withParents } from '../conda/install';
import { isDigest } from '../digest';
import { CoreError } from '../errors';
import { appendLayers, applyPatch, assembleImage, layerFromTarEntries, scanLayers, type Image } from '../image';
import { orderForLink, planLayers } from '../plan';
import { layersFromJobs, oneAtATime, runLayerJob, type LayerJob, type LayerRunner } from './layer-job';
import { cachingLayerRunner, type LayerCache } from './layer-cache';
import { condaMetaVisitor, readCondaMeta, solve, type CondaMeta, type SolvedRecord, type VirtualPackage } from '../solver';
import { activationScriptsIn, ENTRYPOINT_REL, environmentConfig, findShell } from './config';
import { installLockedWheels, resolvePipSection, type PipSection } from './pip-layer';
import type { LockedWheel } from '../conda/explicit-lock';
import type { IndexFetch } from '../pip/index-client';
import { formatVersion, parseVersion } from '../pip/version';
import { readPackagePaths } from '../conda/package';
import { distributionIndex, distributionsInPaths, type InstalledDistribution } from '../pip/installed';
import { condaSubdir, detectGlibc, glibcVisitor, virtualPackagesFor } from './virtual';

/** A build request. */
export interface BuildRequest {
  base: Image;
  specs: string[];
  channels: string[];
  prefix?: string;
  /** SOURCE_DATE_EPOCH: mtimes and `created` */
  epoch?: number;
  strategy?: 'layered' | 'single';
  maxLayers?: number;
  virtualOverrides?: VirtualPackage[];
  /** environment variables the environment sets (environment.yml's `variables:`): into the image's Env */
  variables?: Record<string, string>;
  /** the image's entrypoint, command and extra labels (the base's are kept where not given) */
  image?: { entrypoint?: string[]; cmd?: string[]; labels?: Record<string, string> };
  /** environment.yml's `pip:` list: installed as pip does, in one layer after the conda layers */
  pip?: PipSection;
  /** the fetch the pip indexes and wheels are read through (default: `fetch`) */
  pipFetch?: typeof fetch;
  /** reads a local wheel the pip section names (by its absolute URL; file:// in the CLI) */
  pipOpenLocal?: (url: string) => Promise<Blob>;
  /** the pip packages of a lock (`build --lock`): installed as they are, instead of resolving the pip section */
  pipLock?: LockedWheel[];
  /** a solved lock to install instead of solving (share links, --lock) */
  lock?: SolvedRecord[];
  store: BlobStore;
  fetch?: typeof fetch;
  /** the fetch the solver reads repodata through (a caching or proxy-routing one; it must not call the global fetch) */
  repodataFetch?: typeof fetch;
  /** URL to fetch a package from (the browser routes it through the proxy); records keep the upstream URL */
  packageUrl?: (upstream: string) => string;
  /** stores what is too large for memory: payloads and layers of the streaming path, results past the budget (a temporary file in Node) */
  layerSpill?: (s: ReadableStream<Uint8Array>) => Promise<Blob>;
  /** runs the layer jobs (default: on this thread); the CLI and the browser pass pools of workers */
  layerRunner?: LayerRunner;
  /** built layers kept between builds: a layer found there (verified) is not built again */
  layerCache?: LayerCache;
  /**
   * The md5s and sizes of stored packages by their sha256 (hex key; text `<md5 hex> <bytes>`), each taken in a
   * read that verified the bytes: a lock that carries no md5 or size (conda-meta records both) takes them from
   * here instead of reading the package, so a rebuild whose layers are all cached reads no package. A package
   * a layer job then reads has its md5 and size checked against what was taken.
   */
  packageMd5s?: RecordStore;
  onProgress?: (stage: 'solve' | 'fetch' | 'install' | 'layers', detail: string) => void;
  /** bytes of each package as it downloads (compressed archive bytes), for a per-package progress bar */
  onFetchProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
}

/** What a build produced. */
export interface BuildResult {
  image: Image;
  solved: SolvedRecord[];
  /** warnings of the install (link scripts not run, .pyc left out, clobbered paths); settles once every layer is built */
  warnings: Promise<string[]>;
  layers: string[][];
  /** the pip packages installed (`name==version`), in the layer after the conda layers; [] without a pip section */
  pip: string[];
  /** those pip packages as a lock carries them (name, version, wheel URL, sha256) */
  pipWheels: LockedWheel[];
  /** per planned layer: taken from the layer cache or built; settles once every layer is done. Read it once the image is written: a cached layer found damaged as it was written counts as built */
  layerSources: Promise<('cached' | 'built')[]>;
}

/** What solveForBase needs: the request's base, specs, channels, prefix and solver options. */
export type SolveForBaseRequest = Pick<BuildRequest, 'base' | 'specs' | 'channels' | 'prefix' | 'virtualOverrides' | 'repodataFetch' | 'onProgress'>;

/** An environment solved for a base image. */
export interface SolvedForBase {
  /** in link order */
  solved: SolvedRecord[];
  /** conda's name of the base's platform (linux-64, linux-aarch64…) */
  subdir: string;
  virtualPackages: VirtualPackage[];
  /** the packages the base's prefix already holds (its conda-meta), kept by the solve */
  installed: SolvedRecord[];
  /** the base prefix's conda-meta/history, which the build appends its revision to */
  history?: string;
  /** the Python distributions the base's conda packages put in site-packages */
  installedDistributions?: InstalledDistribution[];
  /** repodata records the solve left out (unreadable), each named by channel, subdir and file */
  warnings: string[];
}

/**
 * Solves `specs` for the base image: its platform, its libc (__glibc), and a conda prefix it may already
 * hold (whose packages stay installed; only missing ones are added). One read of the base's layers.
 */
export async function solveForBase(req: SolveForBaseRequest): Promise<SolvedForBase> {
  const prefix = (req.prefix ?? '/opt/conda').replace(/\/+$/, '');
  const cfg = await req.base.config();
  const subdir = condaSubdir(cfg.os, cfg.architecture);
  const libc = glibcVisitor();
  const meta = condaMetaVisitor(prefix);
  await scanLayers(req.base, cfg.os === 'linux' ? [libc, meta] : [meta]);
  const virtualPackages = await virtualPackagesFor(req.base, req.virtualOverrides, { glibc: libc.found() });
  req.onProgress?.('solve', `${req.specs.join(' ')} for ${subdir} (${virtualPackages.map((v) => `${v.name} ${v.version}`).join(', ')})`);
  const installed = meta.records();
  const warnings: string[] = [];
  const solved = await solve({
    specs: req.specs, channels: req.channels, subdir, virtualPackages, installed, onWarning: (w) => warnings.push(w), ...(req.repodataFetch ? { fetch: req.repodataFetch } : {}),
  });
  const history = meta.history();
  return { solved: orderForLink(solved), subdir, virtualPackages, installed, installedDistributions: meta.distributions(), warnings, ...(history !== undefined ? { history } : {}) };
}

/**
 * X.Y of the environment's python (where noarch: python packages go): the one being installed, else the one the
 * base's prefix already holds (`installed` is only read when the new packages lack python), else none.
 */
export async function environmentPython(adding: SolvedRecord[], installed: () => SolvedRecord[] | Promise<SolvedRecord[]>): Promise<string | undefined> {
  const python = adding.find((r) => r.name === 'python') ?? (await installed()).find((r) => r.name === 'python');
  return python?.version.split('.').slice(0, 2).join('.');
}

/** The pip section's items as the progress and warnings name them. */
const pipItemsOf = (pip: PipSection | undefined): string[] => (pip ? [...pip.requirements, ...(pip.wheels ?? []).map((u) => u.split('/').pop()!)] : []);

/** What resolving the pip section of a solved environment needs. */
export interface EnvironmentPipRequest {
  pip: PipSection;
  /** the full version of the environment's python */
  python: string;
  /** the conda packages the build adds, with their (verified) archives by file name */
  adding: readonly SolvedRecord[];
  blobs: ReadonlyMap<string, Blob>;
  /** what the base's prefix holds */
  base: CondaMeta;
  architecture: string;
  glibc?: string | undefined;
  fetch: IndexFetch;
  openLocal?: (url: string) => Promise<Blob>;
  warn?: (message: string) => void;
  onProgress?: BuildRequest['onProgress'];
}

/**
 * Resolves the pip section for an environment: what conda installs (the base's packages, then the new ones,
 * found through the dist-info directories in their paths) is left to conda, and a pin it fails is an error.
 */
export async function resolveEnvironmentPip(r: EnvironmentPipRequest): Promise<LockedWheel[]> {
  r.onProgress?.('solve', `pip: ${pipItemsOf(r.pip).join(' ')} for python ${r.python}${r.glibc ? `, glibc ${r.glibc}` : ''}`);
  const adding = await Promise.all(r.adding.map(async (p) => distributionsInPaths((await readPackagePaths(r.blobs.get(p.fn)!, p.fn)).map((x) => x.path), p.fn)));
  return resolvePipSection(r.pip, {
    python: r.python, architecture: r.architecture, fetch: r.fetch, installed: distributionIndex(r.base.distributions ?? [], ...adding),
    ...(r.glibc ? { glibc: r.glibc } : {}), ...(r.openLocal ? { openLocal: r.openLocal } : {}), ...(r.warn ? { warn: r.warn } : {}),
  });
}

/** What resolving the pip section of a solve for its lock needs beyond the solve. */
export interface SolvedPipOptions {
  /** where the conda packages are fetched into (the build's store: the build then takes them from there) */
  store: BlobStore;
  /** the fetch packages, indexes and wheels are read through */
  fetch: typeof fetch;
  /** the base image's architecture (amd64, arm64…) */
  architecture: string;
  openLocal?: (url: string) => Promise<Blob>;
  warn?: (message: string) => void;
  onProgress?: BuildRequest['onProgress'];
}

/**
 * The pip section of a solved environment, resolved for its lock (`solve`, the Build view's preview): the
 * conda packages are fetched into the store (as build would) to learn which Python distributions they
 * install, then the section is resolved as build resolves it. Without a python, a warning and none.
 */
export async function resolveSolvedPip(r: SolvedForBase, pip: PipSection, o: SolvedPipOptions): Promise<LockedWheel[]> {
  const python = r.solved.find((p) => p.name === 'python') ?? r.installed.find((p) => p.name === 'python');
  if (!python) { o.warn?.(`pip packages are not locked: the environment has no python: ${pipItemsOf(pip).join(', ')}`); return []; }
  o.onProgress?.('fetch', `${r.solved.length} packages (to find what they install for pip)`);
  const blobs = await fetchPackages(r.solved.map((p) => {
    if (!p.sha256) throw new CoreError('invalid-argument', `${p.fn} has no sha256 in its channel's repodata, so it cannot be verified`);
    return { fn: p.fn, url: p.url, sha256: p.sha256, ...(p.size !== undefined ? { size: p.size } : {}) };
  }), { store: o.store, fetch: o.fetch });
  return resolveEnvironmentPip({
    pip, python: python.version, adding: r.solved, blobs,
    base: { records: r.installed, ...(r.installedDistributions ? { distributions: r.installedDistributions } : {}) },
    architecture: o.architecture, glibc: r.virtualPackages.find((v) => v.name === '__glibc')?.version, fetch: o.fetch,
    ...(o.openLocal ? { openLocal: o.openLocal } : {}), ...(o.warn ? { warn: (w: string) => o.warn!(`pip: ${w}`) } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

/** A packageMd5s record: the md5 (hex) and size (bytes) of a package's verified bytes, or undefined when malformed. */
function readKept(text: string | undefined): { md5: string; size: number } | undefined {
  const m = text === undefined ? null : /^([0-9a-f]{32}) (\d{1,15})$/.exec(text);
  return m ? { md5: m[1], size: Number(m[2]) } : undefined;
}

/** The blob of a planned layer job's package not read yet (see buildEnvironment: never given to a runner). */
const NOT_READ = new Blob([]);

/** Builds the environment image on top of `req.base`. */
export async function buildEnvironment(req: BuildRequest): Promise<BuildResult> {
  const prefix = (req.prefix ?? '/opt/conda').replace(/\/+$/, '');
  const epoch = req.epoch ?? 0;
  const cfg = await req.base.config();
  const subdir = condaSubdir(cfg.os, cfg.architecture);
  const solvedForBase = req.lock ? undefined : await solveForBase(req);
  // solveForBase gives link order; an explicit lock is installed in its own order, which is link order in the
  // locks conda (`conda list --explicit`) and this project write: its records carry no depends to sort by
  const ordered = req.lock ?? solvedForBase!.solved;
  req.onProgress?.('fetch', `${ordered.length} packages`);
  // conda-meta records md5 and size as repodata states them; an explicit lock carries one hash only, so what it
  // lacks is taken from the verified archive itself (its md5 in the read that verifies it): a lock installs
  // the same records as the solve it came from
  const md5s = new Map<string, string>();
  const toFetch = new Map(ordered.map((r) => {
    if (!r.sha256) throw new CoreError('invalid-argument', `${r.fn} has no sha256 in its channel's repodata, so it cannot be verified`);
    return [r.fn, { fn: r.fn, url: req.packageUrl ? req.packageUrl(r.url) : r.url, sha256: r.sha256, ...(r.size !== undefined ? { size: r.size } : {}) }];
  }));
  const onFetchProgress = (p: FetchProgress) => { req.onFetchProgress?.(p); if (p.done) req.onProgress?.('fetch', `${p.fn}${p.cached ? ' (cached)' : ''}`); };
  const pipLock = req.pipLock?.length ? req.pipLock : undefined;
  const pipItems = pipItemsOf(req.pip);
  // a package already in the store is verified when something first reads it (a layer job the layer cache
  // does not hold), not here: a rebuild whose layers are all cached reads none. Read now (and verified, or
  // downloaded) are the packages missing from the store, those whose md5 the lock lacks and packageMd5s does
  // not know (taken from their bytes), and all of them when the pip section is resolved (it reads their paths).
  const deferred = new Set<string>();
  /** a deferred package's md5 and size the lock lacks, as packageMd5s knows them: checked when the package is read */
  const taken = new Map<string, { md5?: string; size?: number }>();
  const sizes = new Map<string, number>();
  if (!(pipItems.length && !pipLock)) {
    await Promise.all(ordered.map(async (r) => {
      const hex = r.sha256!.toLowerCase();
      const digest = `sha256:${hex}`;
      if (!isDigest(digest)) return;
      const known = r.md5 && r.size !== undefined ? undefined : await req.packageMd5s?.read(hex).then(readKept, () => undefined);
      const md5 = r.md5 ?? known?.md5;
      const size = r.size ?? known?.size;
      if (!md5 || size === undefined) return;
      // (`get`, not `has`: a cache that keeps last use counts this as a use; the bytes are not read here)
      if (!await req.store.get(digest)) return;
      deferred.add(r.fn);
      if (!known) return;
      taken.set(r.fn, { ...(r.md5 ? {} : { md5 }), ...(r.size === undefined ? { size } : {}) });
      if (!r.md5) md5s.set(r.fn, md5);
      if (r.size === undefined) sizes.set(r.fn, size);
    }));
  }
  const blobs = await fetchPackages([...toFetch.values()].filter((p) => !deferred.has(p.fn)), { store: req.store, fetch: req.fetch, signal: req.signal, md5: { of: new Set(ordered.filter((r) => !r.md5).map((r) => r.fn)), onMd5: (fn, hex) => md5s.set(fn, hex) }, onProgress: onFetchProgress });
  // the md5 and size of bytes just verified are kept for the next build (best effort: a failed write only costs that read)
  if (req.packageMd5s) {
    await Promise.all([...blobs].filter(([fn]) => md5s.has(fn)).map(([fn, blob]) => req.packageMd5s!.write(toFetch.get(fn)!.sha256.toLowerCase(), `${md5s.get(fn)} ${blob.size}`).catch(() => {})));
  }
  for (const fn of deferred) onFetchProgress({ fn, bytes: toFetch.get(fn)!.size ?? sizes.get(fn)!, total: toFetch.get(fn)!.size ?? sizes.get(fn)!, cached: true, done: true });
  // a deferred package read for the first time: hashed, and downloaded again when its stored bytes changed;
  // an md5 or size taken without reading it must be the bytes' (the layer jobs were keyed and are given them)
  const verifying = new Map<string, Promise<Blob>>();
  const verifiedPackage = (fn: string): Promise<Blob> => {
    const have = blobs.get(fn);
    if (have) return Promise.resolve(have);
    let v = verifying.get(fn);
    if (!v) {
      const expect = taken.get(fn);
      let md5: string | undefined;
      v = fetchPackages([toFetch.get(fn)!], {
        store: req.store, fetch: req.fetch, signal: req.signal, onProgress: (p) => { if (!p.cached) onFetchProgress(p); },
        ...(expect?.md5 ? { md5: { of: new Set([fn]), onMd5: (_: string, hex: string) => { md5 = hex; } } } : {}),
      }).then(async (m) => {
        const blob = m.get(fn)!;
        if (expect?.md5 !== undefined && md5 !== expect.md5) {
          await req.packageMd5s?.remove(toFetch.get(fn)!.sha256.toLowerCase()).catch(() => {});
          throw new CoreError('digest-mismatch', `${fn}: its bytes have md5 ${md5}, not the ${expect.md5} recorded for them; the record is dropped: build again`);
        }
        if (expect?.size !== undefined && blob.size !== expect.size) {
          await req.packageMd5s?.remove(toFetch.get(fn)!.sha256.toLowerCase()).catch(() => {});
          throw new CoreError('size-mismatch', `${fn}: its verified bytes are ${blob.size} long, not the ${expect.size} recorded for them; the record is dropped: build again`);
        }
        return blob;
      });
      verifying.set(fn, v);
    }
    return v;
  };
  // what the base's prefix holds: known from the solve's walk, else (a lock) read once, when first needed
  let baseMeta: Promise<CondaMeta> | undefined;
  const readBaseMeta = (): Promise<CondaMeta> => (baseMeta ??= solvedForBase
    ? Promise.resolve({ records: solvedForBase.installed, distributions: solvedForBase.installedDistributions ?? [], ...(solvedForBase.history !== undefined ? { history: solvedForBase.history } : {}) })
    : readCondaMeta(req.base, prefix));
  const pythonVersion = await environmentPython(ordered, async () => (await readBaseMeta()).records);
  const pipWarnings: string[] = [];
  const pip = pipItems.length || pipLock ? await (async () => {
    const python = ordered.find((r) => r.name === 'python') ?? (await readBaseMeta()).records.find((r) => r.name === 'python');
    if (!python) { pipWarnings.push(`pip packages are not installed: the environment has no python: ${pipLock ? pipLock.map((w) => `${w.name}==${w.version}`).join(', ') : pipItems.join(', ')}`); return undefined; }
    const pipFetch = req.pipFetch ?? req.fetch ?? fetch;
    const wheels = pipLock ? pipLock.map((w) => ({ ...w, version: formatVersion(parseVersion(w.version)) })) : await resolveEnvironmentPip({
      pip: req.pip!, python: python.version, adding: ordered, blobs, base: await readBaseMeta(), architecture: cfg.architecture,
      glibc: solvedForBase ? solvedForBase.virtualPackages.find((v) => v.name === '__glibc')?.version : await detectGlibc(req.base),
      fetch: pipFetch, ...(req.pipOpenLocal ? { openLocal: req.pipOpenLocal } : {}), warn: (w) => pipWarnings.push(`pip: ${w}`), ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
    const entries = await installLockedWheels(wheels, req.pip, { prefix, epoch, python: python.version, fetch: pipFetch, store: req.store, ...(req.pipOpenLocal ? { openLocal: req.pipOpenLocal } : {}) });
    return { wheels, entries };
  })() : undefined;
  const origins = new Map<string, PackageOrigin>(ordered.map((r) => [r.fn, {
    url: r.url, channel: r.channel.replace(/\/$/, ''), md5: r.md5 ?? md5s.get(r.fn)!, ...(r.sha256 ? { sha256: r.sha256 } : {}), size: r.size ?? blobs.get(r.fn)?.size ?? sizes.get(r.fn)!,
    requested_spec: req.specs.find((s) => s.replace(/^.*::/, '').split(/[\s=<>!~[]/)[0].toLowerCase() === r.name) ?? '',
  }]));
  const plan = planLayers(ordered, {
    baseLayers: (await req.base.layers()).length, strategy: req.strategy ?? 'layered', ...(req.maxLayers ? { maxLayers: req.maxLayers } : {}),
  });
  req.onProgress?.('install', `into ${prefix}: ${plan.length + 1} layers`);
  // every layer is a job (open, link, tar, hash): all start now, run in parallel where the runner has
  // workers, and are written in order as they finish
  // a job's packages are given their verified blobs when it runs (`building`): until then a deferred one has
  // none (NOT_READ), and the layer cache keys a job by its packages' names and origins only
  const jobs: LayerJob[] = plan.map((g) => ({
    packages: g.map((r) => ({ fn: r.fn, blob: blobs.get(r.fn) ?? NOT_READ, origin: origins.get(r.fn)! })),
    prefix, epoch, ...(pythonVersion ? { pythonVersion } : {}),
  }));
  const runner: LayerRunner = req.layerRunner ?? oneAtATime((job) => runLayerJob(job, req.layerSpill ? { spill: req.layerSpill } : {}));
  const building: LayerRunner = async (job, signal) => runner({ ...job, packages: await Promise.all(job.packages.map(async (p) => ({ ...p, blob: await verifiedPackage(p.fn) }))) }, signal);
  // the first outcome of each job counts (a layer read twice may run its job again)
  const sources = new Map<LayerJob, 'cached' | 'built'>();
  const cacheWarnings: string[] = [];
  const run = req.layerCache ? cachingLayerRunner(building, req.layerCache, {
    onLayer: (job, source) => { if (!sources.has(job)) sources.set(job, source); },
    // a cached tar found damaged: the job's next outcome counts
    onDropped: (job) => { sources.delete(job); },
    onWarning: (w) => { cacheWarnings.push(w); req.onProgress?.('layers', `warning: ${w}`); },
  }) : building;
  let finished = 0;
  const counted: LayerRunner = async (job, signal) => {
    const r = await run(job, signal);
    req.onProgress?.('layers', `${++finished}/${jobs.length}: ${job.packages.map((p) => p.fn).join(' ')}${sources.get(job) === 'cached' ? ' (cached)' : ''}`);
    return r;
  };
  const built = layersFromJobs(jobs, counted, { ...(req.layerSpill ? { spill: req.layerSpill } : {}), ...(req.signal ? { signal: req.signal } : {}) });
  // packages in layer order (who wins a clobbered path) and in link order (conda-meta/history)
  const installed = built.results.then((rs) => rs.flatMap((r) => r.packages));
  const enc = new TextEncoder();
  const text = (rel: string, s: string) => { const body = enc.encode(s); return { name: `${prefix.slice(1)}/${rel}`, type: 'file' as const, mode: 0o644, body, size: body.byteLength, uid: 0, gid: 0, mtime: epoch }; };
  const labels = {
    'org.conda.environment.specs': req.specs.join(' '),
    'org.conda.environment.channels': req.channels.join(' '),
    'org.conda.environment.packages': String(ordered.length),
    'org.conda.environment.prefix': prefix,
  };
  // what depends on every package being linked (activation scripts, history, clobbers) settles with the jobs
  const finishing = installed.then(async (pkgs) => {
    const activationScripts = activationScriptsIn(pkgs.flatMap((p) => p.files));
    const shell = activationScripts.length ? await findShell(req.base) : undefined;
    const envConfig = environmentConfig(cfg, {
      prefix, activationScripts, ...(shell ? { shell } : {}), labels, ...(req.variables ? { variables: req.variables } : {}),
      ...(req.image?.entrypoint ? { entrypoint: req.image.entrypoint } : {}), ...(req.image?.cmd ? { cmd: req.image.cmd } : {}),
      ...(req.image?.labels ? { userLabels: req.image.labels } : {}),
    });
    const linkOrder = new Map(ordered.map((r, i) => [r.fn, i]));
    const linked = [...pkgs].sort((a, b) => linkOrder.get(String(a.record.fn))! - linkOrder.get(String(b.record.fn))!);
    const previous = (await readBaseMeta()).history;
    const history = historyEntry(linked, { prefix, epoch, command: `docker-envs build ${req.specs.join(' ')}`, ...(previous !== undefined ? { previous } : {}) });
    const entrypoint = envConfig.entrypoint ? [{ ...text(ENTRYPOINT_REL, envConfig.entrypoint.body), mode: 0o755 }] : [];
    const meta = withParents([history, text('environment.yml', writeEnvironmentYaml({ channels: req.channels, dependencies: req.specs, ...(req.variables ? { variables: req.variables } : {}) })), text('conda-meta/explicit.txt', writeExplicitLock(ordered, subdir, pip?.wheels)), ...entrypoint], epoch);
    return { envConfig, meta, warnings: [...(solvedForBase?.warnings ?? []), ...pkgs.flatMap((p) => p.warnings), ...clobberWarnings(pkgs), ...cacheWarnings, ...pipWarnings] };
  });
  finishing.catch(() => {});
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const appended = appendLayers(req.base, [
    ...plan.map((g, i) => ({ layer: built.layers[i], history: { created_by: `docker-envs: conda install ${g.map((p) => `${p.name}=${p.version}=${p.build}`).join(' ')}`, created } })),
    ...(pip ? [{ layer: layerFromTarEntries(async () => pip.entries), history: { created_by: `docker-envs: pip install ${pip.wheels.map((w) => `${w.name}==${w.version}`).join(' ')}`, created } }] : []),
    { layer: layerFromTarEntries(async () => (await finishing).meta), history: { created_by: 'docker-envs: conda-meta/history, environment.yml, explicit lock', created } },
  ]);
  // the config is asked for last by the archive writer (after the layers), so writing overlaps the jobs
  const image = assembleImage({
    layers: () => appended.layers(),
    config: async () => applyPatch(await appended.config(), (await finishing).envConfig.patch),
  });
  // a failed build rejects here too, and a caller that stopped at the failed write never asks for warnings
  const warnings = finishing.then((f) => f.warnings);
  warnings.catch(() => {});
  return { image, solved: ordered, warnings, layers: plan.map((g) => g.map((p) => p.name)), pip: pip?.wheels.map((w) => `${w.name}==${w.version}`) ?? [], pipWheels: pip?.wheels ?? [],
    // asked for once the image is written: a cached layer is hashed as it is written, and one found damaged then counts as built
    get layerSources() { return built.results.then(() => jobs.map((j) => sources.get(j) ?? 'built')); } };
}

/**
 * The pipeline: spec → solve → fetch → install → plan → image. Used by the CLI (and the build worker).
 * Every layer is deterministic, so the same spec, lock and base give the same image digest anywhere.
 */
import type { BlobStore } from '../cache';
import { clobberWarnings, fetchPackages, type FetchProgress, historyEntry, writeEnvironmentYaml, writeExplicitLock, type PackageOrigin } from '../conda';
import { withParents } from '../conda/install';
import { md5Hex } from '../digest';
import { CoreError } from '../errors';
import { appendLayers, applyPatch, assembleImage, layerFromTarEntries, scanLayers, type Image } from '../image';
import { orderForLink, planLayers } from '../plan';
import { formatVersion } from '../pip/version';
import { inLanes } from '../stream';
import { layersFromJobs, oneAtATime, runLayerJob, type LayerJob, type LayerRunner } from './layer-job';
import { cachingLayerRunner, type LayerCache } from './layer-cache';
import { condaMetaVisitor, readCondaMeta, solve, type CondaMeta, type SolvedRecord, type VirtualPackage } from '../solver';
import { activationScriptsIn, ENTRYPOINT_REL, environmentConfig, findShell } from './config';
import { pipStep, type PipSection } from './pip-layer';
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
  /** per planned layer: taken from the layer cache or built; settles once every layer is done */
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
  return { solved: orderForLink(solved), subdir, virtualPackages, installed, warnings, ...(history !== undefined ? { history } : {}) };
}

/**
 * X.Y of the environment's python (where noarch: python packages go): the one being installed, else the one the
 * base's prefix already holds (`installed` is only read when the new packages lack python), else none.
 */
export async function environmentPython(adding: SolvedRecord[], installed: () => SolvedRecord[] | Promise<SolvedRecord[]>): Promise<string | undefined> {
  const python = adding.find((r) => r.name === 'python') ?? (await installed()).find((r) => r.name === 'python');
  return python?.version.split('.').slice(0, 2).join('.');
}

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
  const blobs = await fetchPackages(ordered.map((r) => {
    if (!r.sha256) throw new CoreError('invalid-argument', `${r.fn} has no sha256 in its channel's repodata, so it cannot be verified`);
    return { fn: r.fn, url: req.packageUrl ? req.packageUrl(r.url) : r.url, sha256: r.sha256, ...(r.size !== undefined ? { size: r.size } : {}) };
  }), { store: req.store, fetch: req.fetch, signal: req.signal, onProgress: (p) => { req.onFetchProgress?.(p); if (p.done) req.onProgress?.('fetch', `${p.fn}${p.cached ? ' (cached)' : ''}`); } });
  // what the base's prefix holds: known from the solve's walk, else (a lock) read once, when first needed
  let baseMeta: Promise<CondaMeta> | undefined;
  const readBaseMeta = (): Promise<CondaMeta> => (baseMeta ??= solvedForBase
    ? Promise.resolve({ records: solvedForBase.installed, ...(solvedForBase.history !== undefined ? { history: solvedForBase.history } : {}) })
    : readCondaMeta(req.base, prefix));
  const pythonVersion = await environmentPython(ordered, async () => (await readBaseMeta()).records);
  const pipWarnings: string[] = [];
  const pip = req.pip?.requirements.length ? await (async () => {
    const python = ordered.find((r) => r.name === 'python') ?? (await readBaseMeta()).records.find((r) => r.name === 'python');
    if (!python) { pipWarnings.push(`pip packages are not installed: the environment has no python: ${req.pip!.requirements.join(', ')}`); return undefined; }
    const glibc = solvedForBase ? solvedForBase.virtualPackages.find((v) => v.name === '__glibc')?.version : await detectGlibc(req.base);
    req.onProgress?.('solve', `pip: ${req.pip!.requirements.join(' ')} for python ${python.version}${glibc ? `, glibc ${glibc}` : ''}`);
    return pipStep(req.pip!, {
      prefix, epoch, python: python.version, architecture: cfg.architecture, fetch: req.pipFetch ?? req.fetch ?? fetch,
      warn: (w) => pipWarnings.push(`pip: ${w}`), ...(glibc ? { glibc } : {}),
    });
  })() : undefined;
  // conda-meta records md5 and size as repodata states them; an explicit lock carries one hash only, so what it
  // lacks is taken from the verified archive itself: a lock installs the same records as the solve it came from
  // (a few at a time: each hasher running at once is a WebAssembly instance of its own)
  const md5s = new Map(await inLanes(ordered.filter((r) => !r.md5), 4, async (r) => [r.fn, await md5Hex(blobs.get(r.fn)!)] as const));
  const origins = new Map<string, PackageOrigin>(ordered.map((r) => [r.fn, {
    url: r.url, channel: r.channel.replace(/\/$/, ''), md5: r.md5 ?? md5s.get(r.fn)!, ...(r.sha256 ? { sha256: r.sha256 } : {}), size: r.size ?? blobs.get(r.fn)!.size,
    requested_spec: req.specs.find((s) => s.replace(/^.*::/, '').split(/[\s=<>!~[]/)[0].toLowerCase() === r.name) ?? '',
  }]));
  const plan = planLayers(ordered, {
    baseLayers: (await req.base.layers()).length, strategy: req.strategy ?? 'layered', ...(req.maxLayers ? { maxLayers: req.maxLayers } : {}),
  });
  req.onProgress?.('install', `into ${prefix}: ${plan.length + 1} layers`);
  // every layer is a job (open, link, tar, hash): all start now, run in parallel where the runner has
  // workers, and are written in order as they finish
  const jobs: LayerJob[] = plan.map((g) => ({
    packages: g.map((r) => ({ fn: r.fn, blob: blobs.get(r.fn)!, origin: origins.get(r.fn)! })),
    prefix, epoch, ...(pythonVersion ? { pythonVersion } : {}),
  }));
  const building: LayerRunner = req.layerRunner ?? oneAtATime((job) => runLayerJob(job, req.layerSpill ? { spill: req.layerSpill } : {}));
  // the first outcome of each job counts (a layer read twice may run its job again)
  const sources = new Map<LayerJob, 'cached' | 'built'>();
  const cacheWarnings: string[] = [];
  const run = req.layerCache ? cachingLayerRunner(building, req.layerCache, {
    onLayer: (job, source) => { if (!sources.has(job)) sources.set(job, source); },
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
    const meta = withParents([history, text('environment.yml', writeEnvironmentYaml({ channels: req.channels, dependencies: req.specs, ...(req.variables ? { variables: req.variables } : {}) })), text('conda-meta/explicit.txt', writeExplicitLock(ordered, subdir)), ...entrypoint], epoch);
    return { envConfig, meta, warnings: [...(solvedForBase?.warnings ?? []), ...pkgs.flatMap((p) => p.warnings), ...clobberWarnings(pkgs), ...cacheWarnings, ...pipWarnings] };
  });
  finishing.catch(() => {});
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const appended = appendLayers(req.base, [
    ...plan.map((g, i) => ({ layer: built.layers[i], history: { created_by: `docker-envs: conda install ${g.map((p) => `${p.name}=${p.version}=${p.build}`).join(' ')}`, created } })),
    ...(pip ? [{ layer: layerFromTarEntries(async () => pip.entries), history: { created_by: `docker-envs: pip install ${pip.pins.map((p) => `${p.key}==${formatVersion(p.version)}`).join(' ')}`, created } }] : []),
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
  const layerSources = built.results.then(() => jobs.map((j) => sources.get(j) ?? 'built'));
  layerSources.catch(() => {});
  return { image, solved: ordered, warnings, layers: plan.map((g) => g.map((p) => p.name)), pip: pip?.pins.map((p) => `${p.key}==${formatVersion(p.version)}`) ?? [], layerSources };
}

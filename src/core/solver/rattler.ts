/**
 * The solver: rattler (wasm) behind the project's own interface. Channel-qualified specs are parsed here,
 * virtual packages go in as locked packages, a timeout bounds a solve that never settles, and the
 * solver's thrown strings become CoreErrors. Results are plain objects (wasm objects do not survive
 * postMessage and must be freed).
 */
import { CoreError, toError } from '../errors';
import { fileUrlOf, isFileChannel, normalizeFileChannel, solverUrlOf } from '../conda/local-channel';
import { repairingFetch } from '../conda/repodata-repair';
import type { PackageRecord } from '../conda/types';
import { parseSpec } from './spec';

/** A solved package: where it comes from and how to verify it (the conda PackageRecord). */
export type SolvedRecord = PackageRecord;

/** A virtual package the base image provides (`__glibc 2.36`, `__linux 6.1`, `__unix`, `__archspec 1 x86_64`). */
export interface VirtualPackage {
  name: string;
  version: string;
  build?: string;
}

/** A solve request. */
export interface SolveRequest {
  specs: string[];
  /** channel base URLs (e.g. https://conda.anaconda.org/conda-forge/) */
  channels: string[];
  /** conda subdir, e.g. linux-64 (noarch is added) */
  subdir: string;
  virtualPackages?: VirtualPackage[];
  /** ms before the solve is abandoned (default 120 s) */
  timeoutMs?: number;
  /** resolves a channel name or URL to a base URL (default: names under conda.anaconda.org) */
  resolveChannel?: (c: string) => string;
  /**
   * packages the base image already has (its conda-meta): they stay installed at their exact builds and are not
   * in the result; only missing packages are added
   */
  installed?: PackageRecord[];
  /**
   * the fetch repodata goes through (a proxy-routing or caching fetch); default the global one. It is installed
   * as the global fetch while the solve runs, so it must call a fetch it captured before, never the global one
   */
  fetch?: typeof fetch;
  /** repodata records the solve left out (unreadable), named by channel, subdir and file */
  onWarning?: (message: string) => void;
}

type Rattler = typeof import('@conda-org/rattler');
let rattler: Promise<Rattler> | undefined;
const load = () => (rattler ??= import('@conda-org/rattler'));

/**
 * https://conda.anaconda.org/<name>/ for names, the URL itself (with a trailing slash) for http(s), and for a
 * `file:` channel the URL the solver reads it under (solverUrlOf; the fetch must answer it, see localChannelFetch).
 */
export function channelUrl(c: string, base = 'https://conda.anaconda.org/'): string {
  if (isFileChannel(c)) return solverUrlOf(normalizeFileChannel(c));
  const url = /^https?:\/\//.test(c) ? c : `${base.replace(/\/?$/, '/')}${c}`;
  return url.endsWith('/') ? url : `${url}/`;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` with the global fetch replaced by `f` (the solver's wasm calls the global fetch); solves that
 * replace it run one after another, so two solves never see each other's fetch.
 */
function withFetch<T>(f: typeof fetch, task: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const original = globalThis.fetch;
    globalThis.fetch = f;
    try { return await task(); } finally { globalThis.fetch = original; }
  });
  queue = run.catch(() => undefined);
  return run;
}

/** The solver's words when it refuses repodata as fetched (nulls, records of the wrong shape). */
const REPODATA_REFUSED = /failed to extract repodata records|invalid type:/i;

/**
 * A fetch that remembers the first CoreError it threw: the solver reports a failed fetch only as "error sending
 * request", so the error that names the channel and the cause is taken from here.
 */
function recordingFetch(f: typeof fetch): typeof fetch & { failure?: CoreError } {
  const rec = (async (input: RequestInfo | URL, init?: RequestInit) => {
    try { return await f(input, init); } catch (e) {
      if (e instanceof CoreError) rec.failure ??= e;
      throw e;
    }
  }) as typeof fetch & { failure?: CoreError };
  return rec;
}

/**
 * Solves; throws CoreError 'solve-failed' with the solver's explanation, or 'solve-timeout', or the error of a
 * channel that could not be read. Repodata the solver refuses as fetched is repaired (repairingFetch) and the
 * solve run once more; records left out are reported through `onWarning`.
 */
export async function solve(req: SolveRequest): Promise<SolvedRecord[]> {
  const resolve = req.resolveChannel ?? ((c: string) => channelUrl(c));
  const parsed = req.specs.map(parseSpec);
  // a channel named in a spec is searched first; the rest keep their order
  const channels = [...new Set([...parsed.flatMap((p) => (p.channel ? [resolve(p.channel)] : [])), ...req.channels.map(resolve)])];
  if (channels.length === 0) throw new CoreError('invalid-argument', 'no channel to solve from');
  const locked = (req.virtualPackages ?? []).map((v) => ({
    url: `https://virtual.invalid/${req.subdir}/${v.name}-${v.version}-${v.build ?? '0'}.tar.bz2`,
    packageName: v.name, version: v.version, build: v.build ?? '0', buildNumber: 0,
    filename: `${v.name}-${v.version}-${v.build ?? '0'}.tar.bz2`, subdir: req.subdir, depends: [] as string[],
  }));
  const installed = req.installed ?? [];
  for (const p of installed) {
    locked.push({ url: p.url, packageName: p.name, version: p.version, build: p.build, buildNumber: p.buildNumber, filename: p.fn, subdir: p.subdir, depends: p.depends });
  }
  // an exact spec per installed package keeps it at its build; the lock alone is only a preference
  const keep = installed.map((p) => `${p.name} ==${p.version} ${p.build}`);
  const { simpleSolve } = await load();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new CoreError('solve-timeout', `the solver did not finish within ${(req.timeoutMs ?? 120_000) / 1000} s`)), req.timeoutMs ?? 120_000);
  });
  try {
    // the global fetch is captured here: the fetch installed for the solve must not call itself
    const net = req.fetch ?? globalThis.fetch.bind(globalThis);
    const attempt = async (f: typeof fetch) => {
      const recorder = recordingFetch(f);
      try {
        return await withFetch(recorder, () => Promise.race([simpleSolve([...parsed.map((p) => p.spec), ...keep], channels, [req.subdir as never, 'noarch'], locked), timeout]));
      } catch (e) {
        if (recorder.failure) throw new CoreError(recorder.failure.code, `cannot solve ${req.specs.join(' ')}: ${recorder.failure.message}`, { cause: recorder.failure });
        throw e;
      }
    };
    let solved: Awaited<ReturnType<typeof simpleSolve>>;
    try {
      solved = await attempt(net);
    } catch (e) {
      if (e instanceof CoreError || !REPODATA_REFUSED.test(toError(e).message)) throw e;
      const warnings: string[] = [];
      solved = await attempt(repairingFetch(net, (w) => warnings.push(fileUrlOf(w))));
      for (const w of warnings) req.onWarning?.(w);
    }
    const have = new Set(installed.map((p) => `${p.name} ${p.version} ${p.build}`));
    const out: SolvedRecord[] = [];
    for (const p of solved) {
      if (p.packageName.startsWith('__') || have.has(`${p.packageName} ${p.version} ${p.build}`)) { p.free(); continue; }
      const url = fileUrlOf(p.url);
      const subdir = p.subdir ?? url.split('/').at(-2) ?? req.subdir;
      out.push({
        name: p.packageName, version: p.version, build: p.build, buildNumber: Number(p.buildNumber ?? 0), subdir, url,
        channel: url.slice(0, url.length - `${subdir}/${p.filename}`.length).replace(/\/?$/, '/'),
        fn: p.filename, depends: [...(p.depends ?? [])],
        ...(p.sha256 ? { sha256: p.sha256 } : {}), ...(p.md5 ? { md5: p.md5 } : {}), ...(p.size !== undefined ? { size: Number(p.size) } : {}),
      });
      p.free();
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw new CoreError('solve-failed', `cannot solve ${req.specs.join(' ')}: ${fileUrlOf(toError(e).message)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The solver: rattler (wasm) behind the project's own interface. Channel-qualified specs are parsed here,
 * virtual packages go in as locked packages, a timeout bounds a solve that never settles, and the
 * solver's thrown strings become CoreErrors. Results are plain objects (wasm objects do not survive
 * postMessage and must be freed).
 */
import { CoreError, toError } from '../errors';
import { parseSpec } from './spec';

/** A solved package: where it comes from and how to verify it. */
export interface SolvedRecord {
  name: string;
  version: string;
  build: string;
  buildNumber: number;
  subdir: string;
  /** upstream URL of the archive */
  url: string;
  /** channel base URL (without the subdir) */
  channel: string;
  fn: string;
  sha256?: string;
  md5?: string;
  size?: number;
  depends: string[];
}

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
}

type Rattler = typeof import('@conda-org/rattler');
let rattler: Promise<Rattler> | undefined;
const load = () => (rattler ??= import('@conda-org/rattler'));

/** https://conda.anaconda.org/<name>/ for names, the URL itself (with a trailing slash) otherwise. */
export function channelUrl(c: string, base = 'https://conda.anaconda.org/'): string {
  const url = /^https?:\/\//.test(c) ? c : `${base.replace(/\/?$/, '/')}${c}`;
  return url.endsWith('/') ? url : `${url}/`;
}

/** Solves; throws CoreError 'solve-failed' with the solver's explanation, or 'solve-timeout'. */
export async function solve(req: SolveRequest): Promise<SolvedRecord[]> {
  const resolve = req.resolveChannel ?? ((c: string) => channelUrl(c));
  const parsed = req.specs.map(parseSpec);
  // a channel named in a spec is searched first; the rest keep their order
  const channels = [...new Set([...parsed.flatMap((p) => (p.channel ? [resolve(p.channel)] : [])), ...req.channels.map(resolve)])];
  if (channels.length === 0) throw new CoreError('invalid-argument', 'no channel to solve from');
  const locked = (req.virtualPackages ?? []).map((v) => ({
    url: `https://virtual.invalid/${req.subdir}/${v.name}-${v.version}-${v.build ?? '0'}.tar.bz2`,
    packageName: v.name, version: v.version, build: v.build ?? '0', buildNumber: 0,
    filename: `${v.name}-${v.version}-${v.build ?? '0'}.tar.bz2`, subdir: req.subdir, depends: [],
  }));
  const { simpleSolve } = await load();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new CoreError('solve-timeout', `the solver did not finish within ${(req.timeoutMs ?? 120_000) / 1000} s`)), req.timeoutMs ?? 120_000);
  });
  try {
    const solved = await Promise.race([simpleSolve(parsed.map((p) => p.spec), channels, [req.subdir as never, 'noarch'], locked), timeout]);
    const out: SolvedRecord[] = [];
    for (const p of solved) {
      if (p.packageName.startsWith('__')) { p.free(); continue; }
      const url = p.url;
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
    throw new CoreError('solve-failed', `cannot solve ${req.specs.join(' ')}: ${toError(e).message}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

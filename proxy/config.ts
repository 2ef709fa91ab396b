/**
 * Proxy configuration: which upstreams it forwards to and the limits it enforces.
 * Defaults allow the major public registries, their token services and blob storage, and the public conda
 * channels and PyPI. Extend with `--allow host[:port]` (https; port 443 unless one is named), `--allow-http host:port`
 * (plain http to exactly that host and port, which alone may be on a loopback/private address: the way to
 * reach a registry on this machine), or DOCKER_ENVS_PROXY_ALLOW / DOCKER_ENVS_PROXY_ALLOW_HTTP
 * (comma-separated). Browsers may call it only from the origins of `--allow-origin` /
 * DOCKER_ENVS_PROXY_ALLOW_ORIGIN (and, mounted beside the app, from the app's own origin).
 */

/** The proxy's settings. */
export interface ProxyConfig {
  /** hosts reachable over https: `host` or `*.suffix` (port 443), `host:port` (that port) */
  allow: string[];
  /**
   * `host:port` pairs reachable over plain http. These exact pairs may resolve to loopback or private
   * addresses; nothing else may.
   */
  allowHttp: string[];
  /** maximum redirect hops followed server-side (blob storage) */
  maxRedirects: number;
  /** ms until upstream response headers arrive */
  headersTimeoutMs: number;
  /** ms a body may stall without a byte */
  idleTimeoutMs: number;
  /** requests in flight at once, all clients */
  maxConcurrent: number;
  /** requests in flight at once, per client address */
  maxPerClient: number;
  /** largest request body (upload chunk) in bytes */
  maxUploadBytes: number;
  /**
   * browser origins (`scheme://host[:port]`) that may call the proxy. Where it is mounted beside the app
   * (createProxyApp), the app's own origin may as well; elsewhere only these.
   */
  allowOrigins: string[];
}

/**
 * Public registries, their token services, the public conda channels and PyPI, allowed by default. Blob storage
 * that registries redirect to needs no entry: redirects are followed server-side to any host that passes
 * the address check.
 */
export const DEFAULT_ALLOW = [
  'registry-1.docker.io', 'auth.docker.io', 'index.docker.io',
  'ghcr.io', 'quay.io', 'gcr.io', '*.gcr.io', '*.pkg.dev', 'public.ecr.aws', 'mcr.microsoft.com',
  'registry.gitlab.com', 'gitlab.com', 'nvcr.io', 'registry.k8s.io',
  'conda.anaconda.org', 'repo.anaconda.com', 'prefix.dev', 'repo.prefix.dev',
  // the public Python package index (pip sections): its simple API and the host of its files
  'pypi.org', 'files.pythonhosted.org',
];

/** The default configuration. */
export function defaultProxyConfig(): ProxyConfig {
  return {
    allow: [...DEFAULT_ALLOW],
    allowHttp: [],
    maxRedirects: 5,
    headersTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
    maxConcurrent: 256,
    maxPerClient: 64,
    maxUploadBytes: 512 * 1024 * 1024,
    allowOrigins: [],
  };
}

/**
 * Normalises a configured origin (`scheme://host[:port]`, http or https) to its serialised form; throws
 * on anything else (a path, `*`, `null`).
 */
export function normalizeOrigin(s: string): string {
  const u = URL.canParse(s) ? new URL(s) : undefined;
  if (!u || !/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash || u.username || u.password) {
    throw new Error(`--allow-origin wants scheme://host[:port], got "${s}"`);
  }
  return u.origin;
}

/**
 * Reads extensions from the environment (DOCKER_ENVS_PROXY_ALLOW, _ALLOW_HTTP, _ALLOW_ORIGIN; comma-separated)
 * and from `--allow`, `--allow-http` and `--allow-origin` arguments.
 */
export function proxyConfigFrom(env: Record<string, string | undefined>, argv: string[] = []): ProxyConfig {
  const c = defaultProxyConfig();
  const list = (v?: string) => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  c.allow.push(...list(env.DOCKER_ENVS_PROXY_ALLOW));
  c.allowHttp.push(...list(env.DOCKER_ENVS_PROXY_ALLOW_HTTP));
  c.allowOrigins.push(...list(env.DOCKER_ENVS_PROXY_ALLOW_ORIGIN).map(normalizeOrigin));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--allow' && argv[i + 1]) c.allow.push(argv[++i].toLowerCase());
    else if (argv[i] === '--allow-http' && argv[i + 1]) c.allowHttp.push(argv[++i].toLowerCase());
    else if (argv[i] === '--allow-origin' && argv[i + 1]) c.allowOrigins.push(normalizeOrigin(argv[++i]));
  }
  for (const hp of c.allowHttp) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d+$/.test(hp)) throw new Error(`--allow-http wants host:port, got "${hp}"`);
  }
  for (const e of c.allow) {
    if (!/^(\[[0-9a-f:.]+\]|(\*\.)?[a-z0-9.-]+)(:\d+)?$/.test(e)) throw new Error(`--allow wants host, host:port or *.suffix, got "${e}"`);
  }
  return c;
}

/** Splits an allowlist entry into host and port (443 when none is named); a malformed entry matches nothing. */
function entryHostPort(e: string): [string, string] {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(e);
  return m ? [m[1], m[2] ?? '443'] : [e, ''];
}

/**
 * True when `host` on `port` matches an allowlist entry: `host` and `*.suffix` mean port 443 only,
 * `host:port` that port only.
 */
export function matchesAllow(list: string[], host: string, port: string): boolean {
  const h = host.toLowerCase();
  return list.some((entry) => {
    const [e, p] = entryHostPort(entry);
    if (p !== port) return false;
    if (e.startsWith('*.')) return h.endsWith(e.slice(1)) && h.length > e.length - 1;
    return e === h;
  });
}

/**
 * A registry client (OCI distribution spec) over an injected `fetch`: the browser passes one that routes
 * through the CORS proxy, tests pass one that injects faults. Handles the token dance, retries with
 * backoff on 429/5xx (honouring Retry-After) and carries the registry's error codes.
 */
import { CoreError, toError } from '../errors';
import { basicAuth, parseChallenges, type Credentials } from './auth';
import { registryErrorFrom, RegistryError } from './errors';
import { isLoopbackRegistry, registryEndpoint } from './reference';

/** Options of a RegistryClient. */
export interface RegistryClientOptions {
  /** the network; default globalThis.fetch */
  fetch?: typeof fetch;
  /** credentials for a registry (as written in references, e.g. 'docker.io', '127.0.0.1:5000') */
  credentials?: (registry: string) => Credentials | undefined;
  /** plain http for these registries (default: loopback ones, as docker does) */
  insecure?: (registry: string) => boolean;
  /** attempts for one request on 429/5xx/network errors (default 4) */
  maxAttempts?: number;
  /** first backoff in ms, doubled each time, capped at 10 s (default 250) */
  backoffMs?: number;
  /** sleep, injectable for tests */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Per-request options. */
export interface RegistryRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  /** `pull` or `pull,push` on the repository, for the token scope */
  actions?: string;
  signal?: AbortSignal;
  /** statuses that are answers, not errors (default: 2xx) */
  accept?: (status: number) => boolean;
  /** what the request is for, in error messages */
  what?: string;
}

const defaultSleep = (ms: number, signal?: AbortSignal) => new Promise<void>((ok, fail) => {
  const t = setTimeout(ok, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); fail(signal.reason); }, { once: true });
});

/** Talks to one or more registries; tokens are cached per registry and scope. */
export class RegistryClient {
  readonly fetch: typeof fetch;
  private readonly tokens = new Map<string, string>();
  private readonly opts: RegistryClientOptions;

  constructor(opts: RegistryClientOptions = {}) {
    this.opts = opts;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Base URL of a registry's API, e.g. `https://registry-1.docker.io`. */
  baseUrl(registry: string): string {
    const insecure = this.opts.insecure ? this.opts.insecure(registry) : isLoopbackRegistry(registry);
    return `${insecure ? 'http' : 'https'}://${registryEndpoint(registry)}`;
  }

  /**
   * Sends a request to `path` (or an absolute URL, e.g. an upload Location) of `registry` on
   * `repository`, authenticating as challenged and retrying transient failures.
   */
  async request(registry: string, repository: string, path: string, req: RegistryRequest = {}): Promise<Response> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl(registry)}${path}`;
    const actions = req.actions ?? 'pull';
    const scopeKey = `${registry}|repository:${repository}:${actions}`;
    const ok = req.accept ?? ((s: number) => s >= 200 && s < 300);
    const what = req.what ?? `${req.method ?? 'GET'} ${registry}/${repository}`;
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      const headers = new Headers(req.headers);
      const token = this.tokens.get(scopeKey);
      if (token) headers.set('authorization', token);
      let res: Response;
      try {
        res = await this.fetch(url, { method: req.method ?? 'GET', headers, body: req.body ?? null, signal: req.signal, redirect: 'follow' });
      } catch (e) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (attempt >= (this.opts.maxAttempts ?? 4) || (req.body && !(typeof req.body === 'string' || req.body instanceof Blob))) {
          throw new CoreError('network-error', `${what}: ${toError(e).message}`, { cause: e });
        }
        await this.backoff(attempt, undefined, req.signal);
        continue;
      }
      if (ok(res.status)) return res;
      if (res.status === 401 && !authTried) {
        authTried = true;
        const challenge = parseChallenges(res.headers.get('www-authenticate') ?? '')[0];
        await res.body?.cancel();
        if (challenge) {
          this.tokens.set(scopeKey, await this.authorize(registry, repository, actions, challenge.scheme, challenge.params, req.signal));
          attempt--;
          continue;
        }
      }
      if ((res.status === 429 || res.status >= 500) && attempt < (this.opts.maxAttempts ?? 4)) {
        await res.body?.cancel();
        await this.backoff(attempt, res.headers.get('retry-after'), req.signal);
        continue;
      }
      if (res.status === 401) this.tokens.delete(scopeKey);
      throw await registryErrorFrom(res, what);
    }
  }

  private async backoff(attempt: number, retryAfter: string | null | undefined, signal?: AbortSignal): Promise<void> {
    let ms = Math.min(10_000, (this.opts.backoffMs ?? 250) * 2 ** (attempt - 1));
    if (retryAfter) {
      const secs = Number(retryAfter);
      const when = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(when) && when >= 0) ms = Math.min(60_000, when);
    }
    await (this.opts.sleep ?? defaultSleep)(ms, signal);
  }

  /** Answers a challenge: a bearer token from the realm (with credentials when we have them), or basic auth. */
  private async authorize(registry: string, repository: string, actions: string, scheme: string, params: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const creds = this.opts.credentials?.(registry);
    if (scheme === 'basic') {
      if (!creds) throw new RegistryError(`${registry} wants a username and password`, 401, [{ code: 'UNAUTHORIZED' }]);
      return basicAuth(creds);
    }
    if (scheme !== 'bearer' || !params.realm) throw new RegistryError(`${registry} asks for unsupported authentication "${scheme}"`, 401);
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', `repository:${repository}:${actions}`);
    const headers: Record<string, string> = {};
    if (creds) headers.authorization = basicAuth(creds);
    const res = await this.fetch(realm.toString(), { headers, signal });
    if (!res.ok) throw await registryErrorFrom(res, `token for ${registry}/${repository}${creds ? '' : ' (anonymous)'}`);
    const body = await res.json() as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token service of ${registry} returned no token`, res.status);
    return `Bearer ${token}`;
  }
}

/**
 * The CORS proxy as a web-standard handler (Request → Response), so the same code runs on Node or an
 * edge runtime; the transport (how upstream connections are made and checked) is injected.
 *
 * URL scheme: `<prefix>/<host[:port]>/<path>?<query>` → `https://<host[:port]>/<path>?<query>`, or
 * `http://` for `host:port` pairs configured with allowHttp. Only allowlisted upstreams are reached;
 * redirects are followed here (https to any host that passes the transport's address check, plain http
 * only to a configured pair), and `Authorization` is dropped as soon as a hop leaves the original origin.
 * Which browsers may call it and the headers every answer carries are proxy/cors.ts's business.
 */
import { matchesAllow, type ProxyConfig } from './config';
import { decorate, DROP_ORIGIN_HEADERS, judgeOrigin, METHODS, preflight } from './cors';
import { ForbiddenAddressError, type Transport } from './transport';

const FORWARD_REQUEST = ['accept', 'authorization', 'range', 'content-type', 'content-range', 'content-length', 'if-none-match', 'user-agent'];
const DROP_RESPONSE = [
  'set-cookie', 'set-cookie2', 'connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'upgrade', 'trailer',
  'alt-svc', 'strict-transport-security', ...DROP_ORIGIN_HEADERS,
];

/** `host:port` of an http(s) URL with the port always written, as plain-http upstreams are configured. */
function hostPortOf(u: URL): string {
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** A refusal or failure, answered as JSON `{ error: { code, message } }` (browser headers are added by the caller). */
function fail(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }) + '\n', { status, headers: { 'content-type': 'application/json' } });
}

/** Options of createProxyHandler. */
export interface ProxyHandlerOptions {
  /** path prefix the proxy is mounted at (default `/proxy`) */
  prefix?: string;
  /**
   * Also allow browsers on the request's own origin (besides `config.allowOrigins`): true where the proxy
   * is mounted beside the app, whose pages are that origin. Default false: no origin unless configured.
   */
  sameOrigin?: boolean;
}

/** Builds the handler. `client` identifies the caller (its address) for the per-client limit. */
export function createProxyHandler(config: ProxyConfig, transport: Transport, opts: ProxyHandlerOptions = {}) {
  const prefix = opts.prefix ?? '/proxy';
  let inFlight = 0;
  const perClient = new Map<string, number>();

  const upstreamOf = (pathname: string, search: string): URL | undefined => {
    const rest = pathname.slice(prefix.length + 1);
    const slash = rest.indexOf('/');
    const hostPort = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
    if (!hostPort || /[@/\\?#]/.test(hostPort)) return undefined;
    const scheme = config.allowHttp.includes(hostPort) ? 'http' : 'https';
    try {
      const u = new URL(`${scheme}://${hostPort}${slash < 0 ? '/' : rest.slice(slash)}${search}`);
      return u.username || u.password ? undefined : u;
    } catch {
      return undefined;
    }
  };
  const allowed = (u: URL): boolean => u.protocol === 'http:'
    ? config.allowHttp.includes(hostPortOf(u))
    : u.protocol === 'https:' && matchesAllow(config.allow, u.hostname, u.port || '443');
  /** The proxied URL of an upstream URL, when the proxy would forward it; else undefined. */
  const proxied = (origin: string, u: URL): string | undefined => {
    if (!allowed(u)) return undefined;
    if (u.protocol === 'http:') return `${origin}${prefix}/${hostPortOf(u)}${u.pathname}${u.search}`;
    if (u.port && u.port !== '443') return `${origin}${prefix}/${u.host}${u.pathname}${u.search}`;
    return `${origin}${prefix}/${u.hostname}${u.pathname}${u.search}`;
  };

  return async function handle(req: Request, client = 'unknown'): Promise<Response> {
    const reqUrl = new URL(req.url);
    const verdict = judgeOrigin(req, reqUrl.origin, config.allowOrigins, opts.sameOrigin ?? false);
    if (!verdict.allowed) return decorate(fail(403, 'PROXY_ORIGIN', verdict.reason), verdict);
    return decorate(await answer(req, reqUrl, client), verdict);
  };

  async function answer(req: Request, reqUrl: URL, client: string): Promise<Response> {
    const method = req.method.toUpperCase();
    if (method === 'OPTIONS') return preflight();
    if (!METHODS.includes(method)) return fail(405, 'PROXY_METHOD', `method ${method} is not allowed through this proxy`);
    const target = upstreamOf(reqUrl.pathname, reqUrl.search);
    if (!target) return fail(400, 'PROXY_BAD_URL', `expected ${prefix}/<host[:port]>/<path>`);
    if (!allowed(target)) return fail(403, 'PROXY_NOT_ALLOWED', `${target.host} is not on this proxy's allowlist`);
    const contentLength = Number(req.headers.get('content-length') ?? 0);
    if (contentLength > config.maxUploadBytes) return fail(413, 'PROXY_TOO_LARGE', `request body over ${config.maxUploadBytes} bytes`);
    return withSlot(client, (hold) => forward(req, method, reqUrl, target, hold));
  }

  /**
   * Takes a concurrency slot for `client` (or answers 503/429 when none is free), runs `work` and releases
   * the slot on every way out (return, refusal, throw), except when `work` hands it to a response body
   * through `hold`: then the body's end, failure or cancellation releases it. Nothing else touches the
   * counters, so no exit path can forget them.
   */
  async function withSlot(client: string, work: (hold: Hold) => Promise<Response>): Promise<Response> {
    if (inFlight >= config.maxConcurrent) return fail(503, 'PROXY_BUSY', 'too many requests in flight; retry shortly');
    if ((perClient.get(client) ?? 0) >= config.maxPerClient) return fail(429, 'PROXY_CLIENT_BUSY', 'too many requests in flight from this client');
    inFlight++;
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight--;
      const n = (perClient.get(client) ?? 1) - 1;
      if (n <= 0) perClient.delete(client); else perClient.set(client, n);
    };
    let held = false;
    try {
      return await work((body) => { held = true; return onSettle(body, release); });
    } finally {
      if (!held) release();
    }
  }

  /** The upstream exchange, redirects followed; every refusal is a returned Response. */
  async function forward(req: Request, method: string, reqUrl: URL, target: URL, hold: Hold): Promise<Response> {
    const abort = new AbortController();
    const headersTimer = setTimeout(() => abort.abort(new Error('upstream headers timeout')), config.headersTimeoutMs);
    const limit = method === 'GET' || method === 'HEAD' ? undefined : limitBody(req.body, config.maxUploadBytes);
    try {
      const headers = new Headers();
      for (const h of FORWARD_REQUEST) {
        const v = req.headers.get(h);
        if (v !== null) headers.set(h, v);
      }
      headers.set('accept-encoding', 'identity');
      let body = limit?.body ?? null;
      let url = target;
      for (let hop = 0; ; hop++) {
        const res = await transport(url, { method, headers, body, signal: abort.signal, idleTimeoutMs: config.idleTimeoutMs });
        const loc = res.headers.get('location');
        if (!(res.status >= 301 && res.status <= 308 && res.status !== 304 && loc && (method === 'GET' || method === 'HEAD'))) {
          return respond(res, url, reqUrl.origin, hold);
        }
        await res.body?.cancel();
        if (hop >= config.maxRedirects) return fail(502, 'PROXY_REDIRECTS', `more than ${config.maxRedirects} redirects`);
        const next = new URL(loc, url);
        // https anywhere the address check passes (blob storage); plain http only to a configured host:port
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && config.allowHttp.includes(hostPortOf(next)))) {
          return fail(502, 'PROXY_BAD_REDIRECT', `refusing a redirect to ${next.protocol}//${next.host}`);
        }
        // credentials are for the origin they were given to, never for blob storage or anyone else
        if (next.origin !== target.origin) headers.delete('authorization');
        url = next;
        body = null;
      }
    } catch (e) {
      // an upload cut off at the limit surfaces from the transport as whatever the socket said
      const tooLarge = limit?.exceeded();
      if (tooLarge) return fail(413, 'PROXY_TOO_LARGE', tooLarge.message);
      if (e instanceof ForbiddenAddressError) return fail(403, 'PROXY_FORBIDDEN_ADDRESS', e.message);
      if (abort.signal.aborted) return fail(504, 'PROXY_TIMEOUT', `${target.host} did not answer within ${config.headersTimeoutMs} ms`);
      return fail(502, 'PROXY_UPSTREAM', `${target.host}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(headersTimer);
    }
  }

  function respond(res: Response, finalUrl: URL, origin: string, hold: Hold): Response {
    const out = new Headers();
    res.headers.forEach((v, k) => {
      if (DROP_RESPONSE.includes(k) || k.startsWith('access-control-')) return;
      if (k === 'www-authenticate') v = rewriteRealm(v, origin);
      if (k === 'location') {
        const abs = URL.canParse(v, finalUrl) ? new URL(v, finalUrl) : undefined;
        if (!abs) return;
        v = proxied(origin, abs) ?? abs.toString();
      }
      out.append(k, v);
    });
    // the concurrency slot is held until the body ends, fails or is cancelled
    return new Response(res.body ? hold(res.body) : null, { status: res.status, statusText: res.statusText, headers: out });
  }

  /** Routes the token realm through the proxy too (only realms the proxy would forward). */
  function rewriteRealm(value: string, origin: string): string {
    return value.replace(/realm="([^"]+)"/i, (m, realm: string) => {
      try {
        const p = proxied(origin, new URL(realm));
        return p ? `realm="${p}"` : m;
      } catch {
        return m;
      }
    });
  }
}

/** Hands the concurrency slot to a response body, which releases it when it settles. */
type Hold = (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

/**
 * Passes a request body through, erroring once it exceeds `max` bytes; `exceeded()` tells afterwards
 * whether that happened (the error itself reaches the handler only as the upstream socket's failure).
 */
function limitBody(body: ReadableStream<Uint8Array> | null, max: number): { body: ReadableStream<Uint8Array> | null; exceeded(): Error | undefined } {
  let over: Error | undefined;
  if (!body) return { body: null, exceeded: () => over };
  let seen = 0;
  const limited = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      seen += chunk.byteLength;
      if (seen > max) throw (over = new Error(`request body over ${max} bytes`));
      c.enqueue(chunk);
    },
  }));
  return { body: limited, exceeded: () => over };
}

/** A stream that calls `f` when it ends, errors or is cancelled by the reader. */
function onSettle(s: ReadableStream<Uint8Array>, f: () => void): ReadableStream<Uint8Array> {
  const reader = s.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (done) { f(); c.close(); } else c.enqueue(value);
      } catch (e) {
        f();
        c.error(e);
      }
    },
    cancel(reason) { f(); return reader.cancel(reason); },
  });
}

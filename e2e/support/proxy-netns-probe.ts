/**
 * Run inside a fresh network namespace (only `lo` up) by e2e/integration/proxy-netns.test.ts: the proxy
 * with its real Node transport (real DNS lookup, real connect, nothing injected) against loopback
 * upstreams. `argv[2]` names the section, `argv[3]` is its JSON argument. Prints one JSON line: the
 * interfaces seen and the section's answers. Refuses to run where any interface other than `lo` exists.
 */
import { execFileSync } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeTransport, createProxyApp, createProxyHandler, defaultProxyConfig, type ProxyConfig } from '../../proxy';
import { startServer } from '../../src/serve';

interface Answer { status: number; code?: string; text: string }

/** A loopback upstream: `/to?l=URL` redirects there, `/loop` redirects to itself, `/hang` never answers,
 * `/reset` drops the connection, `/upload` reads the whole body; anything else echoes. */
async function upstream() {
  let connections = 0;
  let uploads = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url!, 'http://upstream');
    switch (u.pathname) {
      case '/to': res.writeHead(302, { location: u.searchParams.get('l')! }); return res.end();
      case '/loop': res.writeHead(302, { location: '/loop' }); return res.end();
      case '/hang': return;
      case '/reset': req.socket.destroy(); return;
      case '/big': res.writeHead(200); return res.end('x'.repeat(1 << 16));
      case '/upload': req.resume(); req.on('end', () => { uploads++; res.writeHead(201); res.end(); }); return;
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': 'default-src *', 'x-content-type-options': 'none' });
        return res.end('<script>alert(1)</script>');
      default: res.writeHead(200, { 'content-type': 'text/plain' }); return res.end(`upstream ${req.url}`);
    }
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return { server, port, hostPort: `127.0.0.1:${port}`, connections: () => connections, uploads: () => uploads };
}

type Handle = ReturnType<typeof createProxyHandler>;

function handlerFor(config: ProxyConfig): Handle {
  return createProxyHandler(config, createNodeTransport({ privateAllowed: (hp) => config.allowHttp.includes(hp) }));
}

async function answer(r: Response): Promise<Answer> {
  const text = await r.text();
  let code: string | undefined;
  try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code; } catch { /* a proxied body */ }
  return { status: r.status, code, text: text.slice(0, 200) };
}

const settle = () => new Promise((ok) => setTimeout(ok, 50));

/** The configured loopback upstream, then every forbidden spelling (allowlisted for https) is refused. */
async function addresses(forbiddenHosts: string[]) {
  const up = await upstream();
  const config = { ...defaultProxyConfig(), allowHttp: [up.hostPort] };
  config.allow.push(...forbiddenHosts.map((h) => h.replace(/:\d+$/, '')));
  const handle = handlerFor(config);
  const ask = async (hostPath: string) => answer(await handle(new Request(`http://app.test/proxy/${hostPath}`), 'netns-probe'));
  const answers: Record<string, Answer> = {};
  answers.upstream = await ask(`${up.hostPort}/v2/`);
  for (const h of forbiddenHosts) answers[h] = await ask(`${h}/v2/`);
  answers['not-allowlisted'] = await ask('evil.example.com/v2/');
  // allowlisted and public: with no route out of the namespace it can only fail upstream, never hang
  answers.public = await ask('registry-1.docker.io/v2/');
  up.server.close();
  return answers;
}

/**
 * Every refusal path, each driven at ten times the limits (10 rounds of exactly maxConcurrent requests,
 * maxPerClient from each of two clients); then each client must still get a 200. Answers per path are
 * counted by code (or status).
 */
async function slots() {
  const up = await upstream();
  const config = { ...defaultProxyConfig(), allowHttp: [up.hostPort], maxConcurrent: 8, maxPerClient: 4, maxRedirects: 2, headersTimeoutMs: 15_000, maxUploadBytes: 1024 };
  config.allow.push('127.0.0.1');
  const handle = handlerFor(config);
  const hp = up.hostPort;
  const chunkedUpload = () => new ReadableStream<Uint8Array>({
    start(c) { for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(512)); c.close(); },
  });
  const paths: Record<string, () => Request> = {
    'redirect-file': () => new Request(`http://app.test/proxy/${hp}/to?l=${encodeURIComponent('file:///etc/passwd')}`),
    'redirect-http-metadata': () => new Request(`http://app.test/proxy/${hp}/to?l=${encodeURIComponent('http://169.254.169.254/latest/')}`),
    'redirect-https-private': () => new Request(`http://app.test/proxy/${hp}/to?l=${encodeURIComponent('https://10.0.0.5/')}`),
    'redirect-loop': () => new Request(`http://app.test/proxy/${hp}/loop`),
    'forbidden-address': () => new Request('http://app.test/proxy/127.0.0.1/v2/'),
    'upstream-reset': () => new Request(`http://app.test/proxy/${hp}/reset`),
    'headers-timeout': () => new Request(`http://app.test/proxy/${hp}/hang`),
    'upload-chunked-too-large': () => new Request(`http://app.test/proxy/${hp}/upload`, { method: 'PUT', body: chunkedUpload(), duplex: 'half' } as RequestInit),
    'upload-declared-too-large': () => new Request(`http://app.test/proxy/${hp}/upload`, { method: 'PUT', body: 'x'.repeat(2048), headers: { 'content-length': '2048' } }),
    'not-allowlisted': () => new Request('http://app.test/proxy/evil.example.com/'),
    'body-cancelled': () => new Request(`http://app.test/proxy/${hp}/big`),
  };
  const counts: Record<string, Record<string, number>> = {};
  for (const [name, make] of Object.entries(paths)) {
    const seen: Record<string, number> = (counts[name] = {});
    // the handler reads its config per request: only the path meant to time out gets a short deadline,
    // so that a loaded machine cannot turn another path's answer into a timeout
    config.headersTimeoutMs = name === 'headers-timeout' ? 300 : 15_000;
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: config.maxConcurrent }, (_, i) => handle(make(), `client-${i % 2}`).then(async (r) => {
        let key = String(r.status);
        if (name === 'body-cancelled' && r.body) await r.body.cancel();
        else { const a = await answer(r); key = a.code ?? key; }
        seen[key] = (seen[key] ?? 0) + 1;
      }));
      await Promise.all(batch);
    }
  }
  const after: Record<string, Answer> = {};
  for (const client of ['client-0', 'client-1', 'client-new']) after[client] = await answer(await handle(new Request(`http://app.test/proxy/${hp}/plain`), client));
  up.server.close();
  return { counts, after, perPath: config.maxConcurrent * 10 };
}

/**
 * The plain-http exception is for plain http to the exact configured host:port only: https to it (by
 * address or by a name resolving there), or an `--allow` entry naming it, never opens a connection.
 */
async function httpsToHttpPort() {
  const up = await upstream();
  const p = up.port;
  const named = { ...defaultProxyConfig(), allowHttp: [up.hostPort] };
  named.allow.push(`localhost:${p}`, `127.0.0.1:${p}`);
  const portless = { ...defaultProxyConfig(), allowHttp: [up.hostPort] };
  portless.allow.push('localhost');
  const viaNamed = handlerFor(named);
  const viaPortless = handlerFor(portless);
  const to = (l: string) => `${up.hostPort}/to?l=${encodeURIComponent(l)}`;
  const cases: Array<[string, Handle, string]> = [
    ['plain-http', viaNamed, `${up.hostPort}/v2/`],
    ['redirect-https-ip', viaNamed, to(`https://127.0.0.1:${p}/x`)],
    ['redirect-https-name', viaNamed, to(`https://localhost:${p}/x`)],
    ['redirect-http-name', viaNamed, to(`http://localhost:${p}/x`)],
    ['https-named-port', viaNamed, `localhost:${p}/x`],
    ['https-portless-entry', viaPortless, `localhost:${p}/x`],
  ];
  const answers: Record<string, Answer & { connections: number }> = {};
  for (const [name, handle, path] of cases) {
    const before = up.connections();
    const a = await answer(await handle(new Request(`http://app.test/proxy/${path}`), 'netns-probe'));
    await settle();
    answers[name] = { ...a, connections: up.connections() - before };
  }
  up.server.close();
  return answers;
}

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; code?: string }

/** One request over a real socket (a browser's Origin and Sec-Fetch headers cannot be set on fetch). */
function raw(url: string, method: string, headers: Record<string, string>, body?: { chunks: number; size: number }): Promise<Raw> {
  return new Promise((ok, fail) => {
    let answered = false;
    const req = request(url, { method, headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        let code: string | undefined;
        try { code = (JSON.parse(Buffer.concat(parts).toString()) as { error?: { code?: string } }).error?.code; } catch { /* not ours */ }
        ok({ status: res.statusCode!, headers: res.headers, code });
      });
    });
    req.on('error', (e) => { if (!answered) fail(e); });
    if (!body) { req.end(); return; }
    // chunked (no content-length): stop writing as soon as the answer arrives
    let i = 0;
    const next = () => {
      while (i < body.chunks && !answered) { i++; if (!req.write(Buffer.alloc(body.size, 1))) { req.once('drain', next); return; } }
      req.end();
    };
    next();
  });
}

/** npm start's server (the app's origin) with the proxy: uploads, response headers and origins. */
async function responses() {
  const up = await upstream();
  const hp = up.hostPort;
  const config = { ...defaultProxyConfig(), allowHttp: [hp], maxUploadBytes: 64 * 1024, allowOrigins: ['http://app.example'] };
  const srv = await startServer({ staticRoot: 'public', port: 0, routes: { '/proxy': createProxyApp(config) } });
  const own = srv.url.replace(/\/$/, '');
  const pick = (r: Raw) => ({
    status: r.status, code: r.code, acao: r.headers['access-control-allow-origin'] ?? null,
    nosniff: r.headers['x-content-type-options'] ?? null, csp: r.headers['content-security-policy'] ?? null,
  });
  const preflight = (origin: string) => ({ origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' });
  const answers: Record<string, ReturnType<typeof pick>> = {};
  answers['upload-chunked-too-large'] = pick(await raw(`${own}/proxy/${hp}/upload`, 'PUT', { origin: own }, { chunks: 64, size: 16 * 1024 }));
  answers['upload-small'] = pick(await raw(`${own}/proxy/${hp}/upload`, 'PUT', { origin: own }, { chunks: 2, size: 1024 }));
  answers['html-same-origin'] = pick(await raw(`${own}/proxy/${hp}/html`, 'GET', { 'sec-fetch-site': 'same-origin' }));
  answers['post-same-origin'] = pick(await raw(`${own}/proxy/${hp}/upload`, 'POST', { origin: own, 'sec-fetch-site': 'same-origin' }));
  answers['refusal-headers'] = pick(await raw(`${own}/proxy/evil.example.com/`, 'GET', {}));
  answers['preflight-own'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'OPTIONS', preflight(own)));
  answers['preflight-named'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'OPTIONS', preflight('http://app.example')));
  answers['preflight-foreign'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'OPTIONS', preflight('http://evil.example')));
  answers['preflight-null'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'OPTIONS', preflight('null')));
  const uploadsBefore = up.uploads();
  answers['post-foreign'] = pick(await raw(`${own}/proxy/${hp}/upload`, 'POST', { origin: 'http://evil.example', 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' }));
  answers['get-foreign'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }));
  answers['get-no-cors-cross-site'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }));
  answers['get-no-origin'] = pick(await raw(`${own}/proxy/${hp}/v2/`, 'GET', {}));
  const uploadsByForeign = up.uploads() - uploadsBefore;
  // the bare handler (as on an edge runtime) allows no browser origin unless configured
  const bare = handlerFor({ ...defaultProxyConfig(), allowHttp: [hp] });
  const bareAnswer = await bare(new Request(`http://proxy.test/proxy/${hp}/v2/`, { method: 'OPTIONS', headers: preflight('http://proxy.test') }));
  answers['bare-preflight-own'] = { status: bareAnswer.status, code: undefined, acao: bareAnswer.headers.get('access-control-allow-origin'), nosniff: null, csp: null };
  await srv.close();
  up.server.close();
  return { answers, uploadsByForeign, own };
}

const SECTIONS: Record<string, (arg: never) => Promise<unknown>> = { addresses, slots, https: httpsToHttpPort, responses };

const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
  .split('\n').filter(Boolean).map((l) => l.split(':')[1].trim());
if (links.join() !== 'lo') throw new Error(`not in a loopback-only network namespace (interfaces: ${links.join(', ')})`);
const section = SECTIONS[process.argv[2]];
if (!section) throw new Error(`unknown section ${process.argv[2]}; one of ${Object.keys(SECTIONS).join(', ')}`);
const result = await section(JSON.parse(process.argv[3] ?? 'null') as never);
process.stdout.write(`${JSON.stringify({ links, result })}\n`);
process.exit(0);

/**
 * The proxy against real upstreams on loopback. No test here can send a packet elsewhere: name
 * resolution is injected (a fake DNS that never asks a server) and so is the dialer, which records every
 * connection and refuses to open any that is not on 127.0.0.0/8.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultProxyConfig, type ProxyConfig } from './config';
import { createProxyHandler } from './handler';
import { createNodeTransport } from './transport.node.js';

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }

function upstream(route: (req: Seen, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; hostPort: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      route(s, res);
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

const FAKE_DNS: Record<string, string[]> = {
  'loopback.example': ['127.0.0.1'],
  'rebind.example': ['93.184.215.14', '10.0.0.7'],
  'metadata.example': ['169.254.169.254'],
  'v6local.example': ['::1'],
  'public.example': ['93.184.215.14'],
};

describe('CORS proxy', () => {
  let a: Awaited<ReturnType<typeof upstream>>;
  let b: Awaited<ReturnType<typeof upstream>>;
  const dialed: string[] = [];
  let config: ProxyConfig;
  let handle: ReturnType<typeof createProxyHandler>;
  const ORIGIN = 'http://app.test';
  const get = (path: string, init: RequestInit = {}) => handle(new Request(`${ORIGIN}/proxy/${path}`, init), 'client-1');

  beforeAll(async () => {
    b = await upstream((req, res) => {
      if (req.url === '/blob') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end('blob-bytes'); return; }
      res.writeHead(404); res.end();
    });
    a = await upstream((req, res) => {
      switch (req.url) {
        case '/v2/':
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${a.hostPort}/token",service="test",scope="repository:x:pull"` });
          return res.end('{}');
        case '/redirect-b': res.writeHead(307, { location: `http://${b.hostPort}/blob` }); return res.end();
        case '/redirect-same': res.writeHead(302, { location: '/plain' }); return res.end();
        case '/redirect-metadata': res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }); return res.end();
        case '/redirect-private-https': res.writeHead(302, { location: 'https://10.0.0.5/blob' }); return res.end();
        case '/redirect-name': res.writeHead(302, { location: 'https://metadata.example/x' }); return res.end();
        case '/redirect-loop': res.writeHead(302, { location: '/redirect-loop' }); return res.end();
        case '/redirect-https-self': res.writeHead(302, { location: `https://${a.hostPort}/plain` }); return res.end();
        case '/redirect-https-loopback-name': res.writeHead(302, { location: `https://loopback.example:${a.hostPort.split(':')[1]}/plain` }); return res.end();
        case '/upload': res.writeHead(202, { location: '/v2/x/blobs/uploads/123?_state=abc', 'docker-upload-uuid': '123' }); return res.end();
        case '/origin-headers':
          res.writeHead(200, { 'content-security-policy': 'default-src *', 'content-security-policy-report-only': 'x', 'x-content-type-options': 'none', 'clear-site-data': '"*"' });
          return res.end('<html>');
        case '/cookie': res.writeHead(200, { 'set-cookie': 'session=secret', 'x-other': '1' }); return res.end('ok');
        default: res.writeHead(200, { 'content-type': 'text/plain' }); return res.end(`plain ${req.method}`);
      }
    });
  });
  afterAll(() => { a.server.close(); b.server.close(); });
  beforeEach(() => {
    dialed.length = 0;
    config = { ...defaultProxyConfig(), allowHttp: [a.hostPort, b.hostPort] };
    // as if an operator had allowlisted these names and addresses: the address check must still refuse them
    config.allow.push('loopback.example', 'rebind.example', 'metadata.example', 'v6local.example', 'public.example',
      '127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.0.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '[::1]',
      '[::ffff:7f00:1]', '[fc00::1]', '[fe80::1]');
    const transport = createNodeTransport({
      privateAllowed: (hp) => config.allowHttp.includes(hp),
      resolve: async (name) => FAKE_DNS[name] ?? [],
      createConnection: ({ host, port }) => {
        dialed.push(`${host}:${port}`);
        if (!host.startsWith('127.')) throw new Error(`test dialer: refusing to connect to ${host}:${port}`);
        return connect({ host, port });
      },
    });
    handle = createProxyHandler(config, transport);
  });

  it('forwards to an allowed upstream and streams the body back with CORS headers for an allowed origin', async () => {
    config.allowOrigins = ['http://app.example'];
    const r = await get(`${a.hostPort}/plain?x=1`, { headers: { origin: 'http://app.example' } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('plain GET');
    expect(r.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(r.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(a.seen.at(-1)!.url).toBe('/plain?x=1');
    expect(a.seen.at(-1)!.headers['accept-encoding']).toBe('identity');
  });

  it('answers the CORS preflight itself', async () => {
    config.allowOrigins = ['http://app.example'];
    const r = await handle(new Request(`${ORIGIN}/proxy/${a.hostPort}/v2/`, { method: 'OPTIONS', headers: { origin: 'http://app.example' } }));
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(r.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(dialed).toEqual([]);
  });

  it('lets browsers call it only from configured origins (none by default), and never reaches upstream for others', async () => {
    const seen = a.seen.length;
    for (const [origin, site] of [[ORIGIN, 'same-origin'], ['http://evil.example', 'cross-site'], ['null', 'cross-site']]) {
      for (const method of ['OPTIONS', 'GET', 'POST']) {
        const r = await handle(new Request(`${ORIGIN}/proxy/${a.hostPort}/upload`, { method, headers: { origin, 'sec-fetch-site': site } }));
        expect(r.status, `${method} from ${origin}`).toBe(403);
        expect(r.headers.get('access-control-allow-origin')).toBeNull();
        expect((await r.json()).error.code).toBe('PROXY_ORIGIN');
      }
    }
    // another site's <img> or <script> (no-cors, no Origin) is refused as well; a non-browser client is not
    expect((await get(`${a.hostPort}/plain`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    const cli = await get(`${a.hostPort}/plain`);
    expect(cli.status).toBe(200);
    expect(cli.headers.get('access-control-allow-origin')).toBeNull();
    expect(a.seen.length).toBe(seen + 1);
  });

  it('replaces upstream CSP and sniffing headers and drops those that act on the proxy origin', async () => {
    const r = await get(`${a.hostPort}/origin-headers`);
    expect(r.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('clear-site-data')).toBeNull();
    expect(r.headers.get('content-security-policy-report-only')).toBeNull();
  });

  it('routes the token realm through the proxy', async () => {
    const r = await get(`${a.hostPort}/v2/`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="${ORIGIN}/proxy/${a.hostPort}/token",service="test",scope="repository:x:pull"`);
  });

  it('rewrites upload Locations to proxied absolute URLs', async () => {
    const r = await get(`${a.hostPort}/upload`, { method: 'POST' });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`${ORIGIN}/proxy/${a.hostPort}/v2/x/blobs/uploads/123?_state=abc`);
  });

  it('follows redirects server-side and never sends Authorization to another host', async () => {
    const r = await get(`${a.hostPort}/redirect-b`, { headers: { authorization: 'Bearer secret-token' } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('blob-bytes');
    expect(a.seen.at(-1)!.headers.authorization).toBe('Bearer secret-token');
    expect(b.seen.at(-1)!.url).toBe('/blob');
    expect(b.seen.at(-1)!.headers.authorization).toBeUndefined();
    const same = await get(`${a.hostPort}/redirect-same`, { headers: { authorization: 'Bearer t' } });
    expect(await same.text()).toBe('plain GET');
    expect(a.seen.at(-1)!.headers.authorization).toBe('Bearer t');
  });

  it('strips cookies both ways', async () => {
    const r = await get(`${a.hostPort}/cookie`, { headers: { cookie: 'tracking=1' } });
    expect(a.seen.at(-1)!.headers.cookie).toBeUndefined();
    expect(r.headers.get('set-cookie')).toBeNull();
    expect(r.headers.get('x-other')).toBe('1');
  });

  it('refuses methods it does not need', async () => {
    for (const method of ['DELETE', 'PROPFIND']) {
      expect((await handle(new Request(`${ORIGIN}/proxy/${a.hostPort}/plain`, { method }))).status, method).toBe(405);
    }
    // CONNECT and TRACE cannot be built as fetch Requests; the handler's method check is what refuses them
    for (const method of ['TRACE', 'CONNECT']) {
      const fake = { method, url: `${ORIGIN}/proxy/${a.hostPort}/plain`, headers: new Headers() } as unknown as Request;
      expect((await handle(fake)).status, method).toBe(405);
    }
    expect(a.seen.some((s) => s.method === 'DELETE')).toBe(false);
  });

  it('refuses hosts that are not on the allowlist, including loopback ports not configured', async () => {
    const plain = createProxyHandler(defaultProxyConfig(), createNodeTransport({
      privateAllowed: () => false, resolve: async () => { throw new Error('must not resolve'); },
      createConnection: () => { throw new Error('must not connect'); },
    }));
    for (const host of ['evil.example.com', '127.0.0.1:9', `127.0.0.1:${a.hostPort.split(':')[1]}`, 'localhost', '[::1]', '169.254.169.254', 'registry-1.docker.io.evil.com']) {
      const r = await plain(new Request(`${ORIGIN}/proxy/${host}/v2/`));
      expect(r.status, host).toBe(403);
      expect((await r.json()).error.code).toBe('PROXY_NOT_ALLOWED');
    }
  });

  it('lets PyPI through by default (its simple API and its file host, https only), and nothing merely named like it', async () => {
    const resolved: string[] = [];
    // the allowlist passed once the name is resolved; the answer (a private address) stops it before any connection
    const plain = createProxyHandler(defaultProxyConfig(), createNodeTransport({
      privateAllowed: () => false, resolve: async (name) => { resolved.push(name); return ['10.0.0.1']; },
      createConnection: () => { throw new Error('must not connect'); },
    }));
    for (const path of ['pypi.org/simple/requests/', 'files.pythonhosted.org/packages/aa/bb/requests-2.32.3-py3-none-any.whl']) {
      const r = await plain(new Request(`${ORIGIN}/proxy/${path}`));
      expect((await r.json()).error.code, path).toBe('PROXY_FORBIDDEN_ADDRESS');
    }
    expect(resolved).toEqual(['pypi.org', 'files.pythonhosted.org']);
    for (const host of ['pypi.org:80', 'pypi.org.evil.example', 'evil-pypi.org', 'test.pypi.org', 'pythonhosted.org']) {
      const r = await plain(new Request(`${ORIGIN}/proxy/${host}/simple/`));
      expect(r.status, host).toBe(403);
      expect((await r.json()).error.code, host).toBe('PROXY_NOT_ALLOWED');
    }
    expect(resolved).toHaveLength(2);
  });

  it.each([
    '127.0.0.1', '[::1]', '[::ffff:7f00:1]', '0.0.0.0', '10.0.0.1', '172.16.0.1', '192.168.0.1', '100.64.0.1',
    '[fc00::1]', '[fe80::1]', '169.254.169.254', '2130706433', '0177.0.0.1', '0x7f.1', '0251.0376.0251.0376',
    'loopback.example', 'metadata.example', 'v6local.example', 'rebind.example',
  ])('refuses %s at the address check, before any connection', async (host) => {
    const r = await get(`${host}/v2/`);
    expect(r.status).toBe(403);
    // every spelling normalises to an allowlisted address, so the refusal comes from the address check itself
    expect((await r.json()).error.code).toBe('PROXY_FORBIDDEN_ADDRESS');
    expect(dialed).toEqual([]);
  });

  it('refuses redirects to private and metadata addresses, by scheme or by address', async () => {
    for (const path of ['redirect-metadata', 'redirect-private-https', 'redirect-name']) {
      const r = await get(`${a.hostPort}/${path}`, { headers: { authorization: 'Bearer secret' } });
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect((await r.json()).error.code, path).toMatch(/PROXY_(BAD_REDIRECT|FORBIDDEN_ADDRESS)/);
    }
    expect(dialed.every((d) => d.startsWith('127.'))).toBe(true);
  });

  it('never opens https to a plain-http port: the exception is plain http to the configured host:port only', async () => {
    for (const path of ['redirect-https-self', 'redirect-https-loopback-name']) {
      dialed.length = 0;
      const r = await get(`${a.hostPort}/${path}`);
      expect(r.status, path).toBe(403);
      expect((await r.json()).error.code, path).toBe('PROXY_FORBIDDEN_ADDRESS');
      expect(dialed, path).toEqual([a.hostPort]);
    }
    // an operator's `--allow 127.0.0.1:PORT` (https) does not open the plain-http port either
    config.allow.push(a.hostPort.replace('127.0.0.1', 'loopback.example'));
    dialed.length = 0;
    const direct = await get(`${a.hostPort.replace('127.0.0.1', 'loopback.example')}/plain`);
    expect((await direct.json()).error.code).toBe('PROXY_FORBIDDEN_ADDRESS');
    expect(dialed).toEqual([]);
  });

  it('stops redirect loops', async () => {
    const r = await get(`${a.hostPort}/redirect-loop`);
    expect(r.status).toBe(502);
    expect((await r.json()).error.code).toBe('PROXY_REDIRECTS');
  });

  it('enforces the upload size limit and the per-client limit', async () => {
    config.maxUploadBytes = 10;
    const big = await get(`${a.hostPort}/upload`, { method: 'PUT', body: 'x'.repeat(11), headers: { 'content-length': '11' } });
    expect(big.status).toBe(413);
    // no length declared (chunked): cut off at the limit, and still answered 413
    const chunks = new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(8)); c.close(); } });
    const chunked = await get(`${a.hostPort}/upload`, { method: 'PUT', body: chunks, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await chunked.json()).error.code).toBe('PROXY_TOO_LARGE');
    config.maxUploadBytes = 1 << 20;
    config.maxPerClient = 1;
    const first = await get(`${a.hostPort}/plain`); // body not read yet: the slot stays taken
    const second = await get(`${a.hostPort}/plain`);
    expect(second.status).toBe(429);
    await first.text();
    expect((await get(`${a.hostPort}/plain`)).status).toBe(200);
  });

  it('answers a clear error for malformed proxy URLs', async () => {
    for (const p of ['', 'user:pass@127.0.0.1/x', '%zz/']) {
      const r = await handle(new Request(`${ORIGIN}/proxy/${p}`));
      expect(r.status, p).toBeGreaterThanOrEqual(400);
    }
  });
});

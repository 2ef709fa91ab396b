import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectPage } from '../src/core/pip/index-client';
import { proxiedFetch } from '../src/core/net/proxied-fetch';
import { startServer } from '../src/serve';
import { createProxyApp } from './app';
import { defaultProxyConfig } from './config';

describe('the proxy mounted in the app server (one port)', () => {
  const up = createServer((req, res) => { res.writeHead(200, { 'docker-content-digest': 'sha256:x' }); res.end(`hello ${req.url}`); });
  const servers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => { up.close(); for (const s of servers) await s.close(); });

  it('serves /proxy/<host:port>/… next to the static files', async () => {
    await new Promise<void>((ok) => up.listen(0, '127.0.0.1', ok));
    const hostPort = `127.0.0.1:${(up.address() as AddressInfo).port}`;
    const config = { ...defaultProxyConfig(), allowHttp: [hostPort] };
    // loopback only: the dialer refuses anything else, and no name is resolved
    const app = createProxyApp(config, {
      resolve: async () => [],
      createConnection: ({ host, port }) => { if (!host.startsWith('127.')) throw new Error(`refusing ${host}`); return connect({ host, port }); },
    });
    const srv = await startServer({ staticRoot: 'public', port: 0, routes: { '/proxy': app } });
    servers.push(srv);
    const r = await fetch(`${srv.url}proxy/${hostPort}/v2/x?y=1`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('hello /v2/x?y=1');
    expect(r.headers.get('docker-content-digest')).toBe('sha256:x');
    const refused = await fetch(`${srv.url}proxy/example.com/`);
    expect(refused.status).toBe(403);
  });
});

describe('a pip index read through the proxy', () => {
  const wheel = new Uint8Array(4096).map((_, i) => i % 251);
  const sha = createHash('sha256').update(wheel).digest('hex');
  const up = createServer((req, res) => {
    if (req.url === '/simple/demo/') {
      res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' });
      return res.end(JSON.stringify({ meta: { 'api-version': '1.1' }, name: 'demo', files: [{ filename: 'demo-1.0-py3-none-any.whl', url: '../../files/demo-1.0-py3-none-any.whl', hashes: { sha256: sha } }] }));
    }
    const range = /^bytes=-(\d+)$/.exec(req.headers.range ?? '');
    if (req.url === '/files/demo-1.0-py3-none-any.whl' && range) {
      const start = Math.max(0, wheel.length - Number(range[1]));
      res.writeHead(206, { 'content-range': `bytes ${start}-${wheel.length - 1}/${wheel.length}` });
      return res.end(wheel.subarray(start));
    }
    res.writeHead(404).end();
  });
  const servers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => { up.close(); for (const s of servers) await s.close(); });

  it('gives files named by the index\'s own URLs (as the CLI reads them), and passes ranged reads', async () => {
    await new Promise<void>((ok) => up.listen(0, '127.0.0.1', ok));
    const hostPort = `127.0.0.1:${(up.address() as AddressInfo).port}`;
    const app = createProxyApp({ ...defaultProxyConfig(), allowHttp: [hostPort] }, {
      resolve: async () => [],
      createConnection: ({ host, port }) => { if (!host.startsWith('127.')) throw new Error(`refusing ${host}`); return connect({ host, port }); },
    });
    const srv = await startServer({ staticRoot: 'public', port: 0, routes: { '/proxy': app } });
    servers.push(srv);
    const through = proxiedFetch(`${srv.url}proxy`);
    const index = `http://${hostPort}/simple/`;
    const page = await findProjectPage(through, index, 'demo');
    const direct = await findProjectPage(globalThis.fetch, index, 'demo');
    expect(page?.files.map((f) => f.url)).toEqual([`http://${hostPort}/files/demo-1.0-py3-none-any.whl`]);
    expect(page).toEqual(direct);
    const tail = await through(page!.files[0]!.url, { headers: { Range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${wheel.length - 100}-${wheel.length - 1}/${wheel.length}`);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(wheel.subarray(wheel.length - 100));
  });
});

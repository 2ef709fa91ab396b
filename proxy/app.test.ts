import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
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

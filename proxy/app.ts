/** The proxy as a Hono sub-app for src/serve.ts (mounted at `/proxy` beside the static files). */
import { Hono } from 'hono';
import type { ProxyConfig } from './config';
import { createProxyHandler } from './handler';
import { createNodeTransport, type NodeTransportOptions } from './transport.node.js';

/** A Hono app answering every method under its mount point with the proxy handler. */
export function createProxyApp(config: ProxyConfig, transportOpts: Partial<NodeTransportOptions> = {}): Hono {
  const transport = createNodeTransport({ privateAllowed: (hp) => config.allowHttp.includes(hp), ...transportOpts });
  const handle = createProxyHandler(config, transport, { prefix: '/proxy' });
  const app = new Hono();
  app.all('/*', (c) => {
    // @hono/node-server puts the Node request in c.env.incoming: its socket address is the client
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    return handle(c.req.raw, env?.incoming?.socket?.remoteAddress ?? 'unknown');
  });
  return app;
}

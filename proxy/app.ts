/** The proxy as a Hono sub-app for src/serve.ts (mounted at `/proxy` beside the static files). */
import { Hono } from 'hono';
import type { ProxyConfig } from './config';
import { createProxyHandler } from './handler';
import { createNodeTransport, type NodeTransportOptions } from './transport.node.js';

/**
 * A Hono app answering every method under its mount point with the proxy handler. Browsers on the
 * server's own origin (the app) may call it, and those of `config.allowOrigins`.
 */
export function createProxyApp(config: ProxyConfig, transportOpts: Partial<NodeTransportOptions> = {}): Hono {
  const transport = createNodeTransport({ privateAllowed: (hp) => config.allowHttp.includes(hp), ...transportOpts });
  // mounted beside the app: the app's pages are the request's own origin
  const handle = createProxyHandler(config, transport, { prefix: '/proxy', sameOrigin: true });
  const app = new Hono();
  app.all('/*', (c) => {
    // @hono/node-server puts the Node request in c.env.incoming: its socket address is the client
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    return handle(c.req.raw, env?.incoming?.socket?.remoteAddress ?? 'unknown');
  });
  return app;
}

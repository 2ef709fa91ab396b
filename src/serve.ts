/**
 * `npm start`: serves the built app (`dist/`, made by `vite build`) on one loopback port.
 *
 * The server is a Hono app with a route table: the CORS proxy (proxy/) answers under `/proxy/` beside the
 * static files on the same port; `--allow host[:port]` and `--allow-http host:port` (or
 * DOCKER_ENVS_PROXY_ALLOW / DOCKER_ENVS_PROXY_ALLOW_HTTP) extend its allowlist. Browsers may call the
 * proxy from the app's own origin, and from origins named by `--allow-origin` (DOCKER_ENVS_PROXY_ALLOW_ORIGIN).
 * PORT (default 8080) and HOST (default 127.0.0.1) configure it; DIST_DIR serves another build folder
 * (the e2e build).
 */
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options for {@link createServerApp}. */
export interface ServerAppOptions {
  /** folder of built static files (absolute, or relative to the working directory) */
  staticRoot: string;
  /** extra sub-apps by path prefix, tried before the static files; e.g. `{ '/proxy': proxyApp }` */
  routes?: Record<string, Hono>;
}

/** Builds the request handler: the route table first, then static files, then 404. */
export function createServerApp({ staticRoot, routes = {} }: ServerAppOptions): Hono {
  const app = new Hono();
  for (const [prefix, sub] of Object.entries(routes)) app.route(prefix, sub);
  app.use('*', serveStatic({ root: staticRoot }));
  app.notFound((c) => c.text(`not found: ${new URL(c.req.url).pathname}\n`, 404));
  return app;
}

/** Options for {@link startServer}. */
export interface StartServerOptions extends ServerAppOptions {
  /** TCP port; 0 picks a free one. Default: PORT env or 8080. */
  port?: number;
  /** interface to listen on. Default: HOST env or 127.0.0.1 (loopback only). */
  host?: string;
}

/** Starts the server; resolves once it listens, with its URL and a `close()`. */
export function startServer(opts: StartServerOptions): Promise<{ url: string; server: ServerType; close(): Promise<void> }> {
  const port = opts.port ?? Number(process.env.PORT ?? 8080);
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  const app = createServerApp(opts);
  return new Promise((ok, fail) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      const shown = info.address.includes(':') ? `[${info.address}]` : info.address;
      ok({
        url: `http://${shown}:${info.port}/`,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', fail);
  });
}

/** `npm start`: the built app and the proxy on one port, until SIGINT/SIGTERM. */
export async function runServer(argv = process.argv.slice(2)): Promise<void> {
  const staticRoot = resolve(process.env.DIST_DIR ?? 'dist');
  if (!existsSync(resolve(staticRoot, 'index.html'))) {
    console.error(`${staticRoot}/index.html is missing: run \`npx vite build\` first (npm start does).`);
    process.exit(1);
  }
  const { createProxyApp, proxyConfigFrom } = await import('../proxy/index');
  const proxyConfig = proxyConfigFrom(process.env, argv);
  const { url, close } = await startServer({ staticRoot, routes: { '/proxy': createProxyApp(proxyConfig) } });
  if (proxyConfig.allowHttp.length) console.log(`proxy: plain-http upstreams ${proxyConfig.allowHttp.join(', ')}`);
  if (proxyConfig.allowOrigins.length) console.log(`proxy: browser origins besides the app's own ${proxyConfig.allowOrigins.join(', ')}`);
  console.log(`docker-envs serving ${staticRoot} at ${url}`);
  const shutdown = () => { void close().then(() => process.exit(0)); };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runServer();

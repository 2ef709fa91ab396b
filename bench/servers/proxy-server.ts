/** The product's proxy alone on a port, for the bench: `node --import tsx bench/servers/proxy-server.ts PORT HOST:PORT`. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createProxyApp, defaultProxyConfig } from '../../proxy';

const [port, upstream] = process.argv.slice(2);
const app = new Hono();
app.route('/proxy', createProxyApp({ ...defaultProxyConfig(), allowHttp: [upstream] }));
serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => process.stdout.write('ready\n'));

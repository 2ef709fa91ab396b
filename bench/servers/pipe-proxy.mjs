// The peer of the proxy-memory row: the smallest streaming HTTP pass-through Node can do (stream.pipeline).
import { createServer, request } from 'node:http';
import { pipeline } from 'node:stream';

const [port, upstream] = process.argv.slice(2);
const [host, upPort] = upstream.split(':');
createServer((req, res) => {
  const path = req.url.replace(/^\/proxy\/[^/]+/, '');
  const up = request({ host, port: Number(upPort), path, method: req.method, headers: { accept: '*/*' } }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    pipeline(r, res, () => {});
  });
  up.on('error', () => res.destroy());
  up.end();
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));

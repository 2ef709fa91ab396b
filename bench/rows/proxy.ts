/**
 * The proxy's memory while 50 large blobs stream through it at once (issue 4: target < 150 MB), against
 * the smallest streaming pass-through Node can do, run the same way in the same invocation. Both run in
 * their own process; their peak resident memory (VmHWM) is read from /proc at the end. The proxy runs as
 * `npm start` runs it: `bin/serve.js` (the bundled server: the built app and the proxy on one port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../browser.js';
import type { BenchRow } from '../table.js';

const BLOBS = 50;
const CHUNK = Buffer.alloc(1 << 20, 7);

function upstream(blobBytes: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blobBytes) });
    let left = blobBytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((ok, fail) => {
    child.stdout!.once('data', () => ok(child));
    child.once('exit', (code) => fail(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)));
  });
}

const vmHwmMb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;

/** Streams BLOBS blobs at once through the server at `port`; returns seconds and the server's peak RSS (MB). */
async function measure(child: ChildProcess, port: number, upstreamHost: string, blobBytes: number): Promise<{ seconds: number; peakMb: number }> {
  const t = performance.now();
  const sizes = await Promise.all(Array.from({ length: BLOBS }, async (_, i) => {
    const r = await fetch(`http://127.0.0.1:${port}/proxy/${upstreamHost}/v2/blob/${i}`);
    if (!r.ok) throw new Error(`blob ${i}: HTTP ${r.status}`);
    let n = 0;
    for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) n += c.byteLength;
    return n;
  }));
  if (sizes.some((s) => s !== blobBytes)) throw new Error('a blob arrived short');
  const peakMb = vmHwmMb(child.pid!);
  return { seconds: (performance.now() - t) / 1000, peakMb };
}

/** The proxy memory row; `quick` streams 8 MB blobs instead of 64 MB. Each run starts both servers afresh. */
export function proxyRows(opts: { quick: boolean; log: (s: string) => void }): BenchRow[] {
  return [{
    name: `proxy peak RSS, ${BLOBS} blobs at once`,
    target: '< 150 MB',
    format: (v) => `${v.toFixed(0)} MB`,
    pass: (ours) => ours < 150,
    async prepare() { buildApp(); },
    async run() {
      const blobBytes = (opts.quick ? 8 : 64) * 1024 * 1024;
      const up = await upstream(blobBytes);
      const host = `127.0.0.1:${(up.address() as AddressInfo).port}`;
      const children: ChildProcess[] = [];
      try {
        const freePort = async () => { const s = createServer(); await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok)); const p = (s.address() as AddressInfo).port; await new Promise((ok) => s.close(ok)); return p; };
        const p1 = await freePort();
        const ours = await start('node', ['bin/serve.js', '--allow-http', host], { ...process.env, PORT: String(p1), HOST: '127.0.0.1', DIST_DIR: buildApp() });
        children.push(ours);
        opts.log(`[proxy] ${BLOBS} × ${blobBytes >> 20} MB through the product's proxy (npm start's server)`);
        const a = await measure(ours, p1, host, blobBytes);
        const p2 = await freePort();
        const peer = await start('node', ['bench/servers/pipe-proxy.mjs', String(p2), host]);
        children.push(peer);
        opts.log(`[proxy] the same through a bare node:http pipe`);
        const b = await measure(peer, p2, host, blobBytes);
        return {
          ours: a.peakMb, peer: b.peakMb,
          notes: `${((BLOBS * blobBytes) / 2 ** 30).toFixed(1)} GiB in ${a.seconds.toFixed(1)} s through the proxy (${b.seconds.toFixed(1)} s bare); the proxy is npm start's whole server (bin/serve.js, bundled), static files included`,
        };
      } finally {
        for (const c of children) c.kill();
        up.close();
      }
    },
  }];
}

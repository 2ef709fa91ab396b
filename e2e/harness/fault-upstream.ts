/**
 * A fault-injecting HTTP upstream in front of the open registry: every request is forwarded as is (method,
 * headers including Host and Range, streamed bodies both ways), except those a scripted fault matches:
 *   - `reset`: forward, send the headers and half of the body, then destroy the connection;
 *   - `status`: answer `status` (e.g. 429 with `retryAfter` seconds, or 500) without reaching the registry.
 * A fault matches by method and a substring of the path, and fires `times` times (-1: always); later requests
 * pass through, so a client's retry (with Range) is served normally. It counts bytes per path in both
 * directions, so tests can assert that no layer bytes went up or down.
 * Control API on the same port (tests run in another process): `PUT /__faults` with a JSON Fault[] replaces
 * the script, `GET /__faults` returns the stats, `DELETE /__faults` clears both. Helpers: setFaults,
 * faultStats, clearFaults.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted fault. */
export interface Fault {
  /** substring of the request path, e.g. `/blobs/sha256:` */
  path: string;
  /** only this method (default: any) */
  method?: string;
  kind: 'reset' | 'status';
  /** for `status`: the status to answer */
  status?: number;
  /** for `status`: a Retry-After header, seconds */
  retryAfter?: number;
  /** how many matching requests it hits (default 1; -1 = every one) */
  times?: number;
  /** `reset` only fires on requests without a Range header (default true) */
  onlyUnranged?: boolean;
  /**
   * for `reset`: how long the connection stays open and silent after the half body was flushed, before it is
   * destroyed (default 0). A reset arriving right behind the data can discard it unread on the way (a TCP reset
   * drops the receiver's unread bytes; an erroring fetch body stream drops its queued chunks), so a client that
   * was busy at that moment sees a cut at byte 0; holding the line models a stall and lets the bytes arrive.
   */
  holdMs?: number;
}

/** What the upstream saw. */
export interface FaultStats {
  /** response body bytes sent to clients, by path */
  bytesOut: Record<string, number>;
  /** request body bytes received from clients, by path */
  bytesIn: Record<string, number>;
  requests: Array<{ method: string; path: string; status: number; range?: string; fault?: Fault['kind'] }>;
}

/** A running fault upstream. */
export interface FaultUpstream { host: string; stats: FaultStats; setFaults(f: Fault[]): void; stop(): Promise<void> }

function emptyStats(): FaultStats { return { bytesOut: {}, bytesIn: {}, requests: [] }; }

/** Starts the fault upstream on a free loopback port, forwarding to `upstream` (`host:port`). */
export function startFaultUpstream(opts: { upstream: string }): Promise<FaultUpstream> {
  let script: Array<Fault & { left: number }> = [];
  let stats = emptyStats();
  const [uHost, uPort] = opts.upstream.split(':');
  const add = (rec: Record<string, number>, path: string, n: number) => { rec[path] = (rec[path] ?? 0) + n; };

  const control = (req: IncomingMessage, res: ServerResponse) => {
    const json = (code: number, v: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (req.method === 'GET') return json(200, stats);
    if (req.method === 'DELETE') { script = []; stats = emptyStats(); return json(200, {}); }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      try {
        const faults = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Fault[];
        script = faults.map((f) => ({ ...f, left: f.times ?? 1 }));
        json(200, { faults: script.length });
      } catch (err) { json(400, { error: String(err) }); }
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/__faults') return control(req, res);
    const range = req.headers.range;
    const fault = script.find((f) => f.left !== 0 && path.includes(f.path) && (!f.method || f.method === req.method) &&
      !(f.kind === 'reset' && (f.onlyUnranged ?? true) && range));
    if (fault) fault.left--;
    const record = { method: req.method ?? 'GET', path, status: 0, range, fault: fault?.kind };
    stats.requests.push(record);
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      record.status = status;
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const code = status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE';
      res.writeHead(status, headers).end(JSON.stringify({ errors: [{ code, message: `injected ${status}` }] }));
      return;
    }
    const up = request({ host: uHost, port: Number(uPort), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      record.status = ur.statusCode ?? 502;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const total = Number(ur.headers['content-length'] ?? 0);
      let sent = 0;
      ur.on('data', (c: Buffer) => {
        if (fault?.kind === 'reset' && sent + c.length >= total / 2) {
          const part = c.subarray(0, Math.max(0, Math.floor(total / 2) - sent));
          add(stats.bytesOut, path, part.length);
          res.write(part, () => setTimeout(() => res.socket?.destroy(), fault.holdMs ?? 0));
          ur.destroy();
          return;
        }
        sent += c.length;
        add(stats.bytesOut, path, c.length);
        if (!res.write(c)) { ur.pause(); res.once('drain', () => ur.resume()); }
      });
      ur.on('end', () => res.end());
      ur.on('error', () => res.destroy());
    });
    up.on('error', (err) => { if (!res.headersSent) res.writeHead(502).end(String(err)); else res.destroy(); });
    req.on('data', (c: Buffer) => add(stats.bytesIn, path, c.length));
    req.pipe(up);
  };

  const server: Server = createServer(handle);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      ok({
        host,
        get stats() { return stats; },
        setFaults: (f) => { script = f.map((x) => ({ ...x, left: x.times ?? 1 })); },
        stop: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

/** Replaces the fault script of the upstream at `host`. */
export async function setFaults(host: string, faults: Fault[]): Promise<void> {
  const r = await fetch(`http://${host}/__faults`, { method: 'PUT', body: JSON.stringify(faults) });
  if (!r.ok) throw new Error(`setFaults: ${r.status} ${await r.text()}`);
}

/** The stats of the upstream at `host`. */
export async function faultStats(host: string): Promise<FaultStats> {
  return await (await fetch(`http://${host}/__faults`)).json() as FaultStats;
}

/** Clears the script and the stats of the upstream at `host`. */
export async function clearFaults(host: string): Promise<void> {
  await fetch(`http://${host}/__faults`, { method: 'DELETE' });
}

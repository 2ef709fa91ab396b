/**
 * The proxy's connection to upstreams (Node): resolves the host itself, checks EVERY resolved address
 * (and IP literals) against the forbidden ranges, then connects to the checked address only (pinned; the
 * TLS name is still the host), so a DNS answer that changes between check and connect (rebinding) cannot
 * slip past. Redirects are not followed here (the handler does it, hop by hop, through this check again).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { forbiddenAddressReason } from './address';
import { ForbiddenAddressError, type Transport } from './transport';

/** What the Node transport needs; tests inject `resolve` (fake DNS) and `createConnection` (a dialer that records). */
export interface NodeTransportOptions {
  /**
   * Whether a plain-http `host:port` (hostname as the URL spells it, port always written) may be on a
   * loopback/private address: the configured plain-http upstreams. Never asked for https.
   */
  privateAllowed: (hostPort: string) => boolean;
  resolve?: (hostname: string) => Promise<string[]>;
  createConnection?: (opts: { host: string; port: number; servername?: string }) => Socket;
}

const defaultResolve = async (hostname: string): Promise<string[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * An upstream body as a web stream that reads from the socket only when the client side asks (highWaterMark
 * 0). Node 20's Readable.toWeb queues up to 16384 chunks, so a fast upstream and a slow client filled the
 * proxy's memory (50 blobs at once peaked at 153 MB).
 */
function pulledBody(res: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = res[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await chunks.next();
      if (r.done) c.close();
      else c.enqueue(new Uint8Array((r.value as Buffer).buffer, (r.value as Buffer).byteOffset, (r.value as Buffer).byteLength));
    },
    async cancel(reason) {
      res.destroy(reason instanceof Error ? reason : undefined);
      await chunks.return?.();
    },
  }, { highWaterMark: 0 });
}

/** The default transport over node:http/https with the address check at connect time. */
export function createNodeTransport(opts: NodeTransportOptions): Transport {
  const resolve = opts.resolve ?? defaultResolve;
  return async (url, init) => {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const hostPort = `${url.hostname}:${port}`;
    const addresses = isIP(hostname) ? [hostname] : await resolve(hostname);
    if (addresses.length === 0) throw new ForbiddenAddressError(`${hostname} did not resolve`);
    // the exception is for plain http to a configured host:port as written, never for https to it and
    // never for another name that happens to resolve to the same address
    const privateOk = url.protocol === 'http:' && opts.privateAllowed(hostPort);
    for (const a of addresses) {
      const why = forbiddenAddressReason(a);
      if (why && !privateOk) {
        throw new ForbiddenAddressError(`${hostname} resolves to ${a}: ${why} addresses are not reachable through this proxy`);
      }
    }
    const address = addresses[0];
    const headers: Record<string, string> = {};
    init.headers.forEach((v, k) => { headers[k] = v; });
    headers.host = url.host;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((ok, fail) => {
      const options: HttpsRequestOptions = {
        host: address, port, method: init.method, path: url.pathname + url.search, headers,
        servername: isIP(hostname) ? undefined : hostname, signal: init.signal, agent: false,
      };
      // node:http uses createConnection only when no agent is given (agent: false makes a fresh one)
      if (opts.createConnection) {
        options.agent = undefined;
        options.createConnection = () => opts.createConnection!({ host: address, port, servername: hostname });
      }
      const req = request(options);
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        res.setTimeout(init.idleTimeoutMs, () => res.destroy(new Error(`upstream ${url.host} stalled for ${init.idleTimeoutMs} ms`)));
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
        }
        const nullBody = init.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        if (nullBody) res.resume();
        ok(new Response(nullBody ? null : pulledBody(res), { status: res.statusCode ?? 502, headers: h }));
      });
      // pipeline, not pipe: a client that goes away mid-upload must not crash the process
      if (init.body) pipeline(Readable.fromWeb(init.body as import('node:stream/web').ReadableStream), req, (err) => { if (err) req.destroy(err); });
      else req.end();
    });
  };
}

/**
 * A static HTTP server on 127.0.0.1 over a fixture folder (channels served as a conda channel is), with a log
 * of every path asked for. For tests only; it never listens on anything but loopback.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

/** A running folder server. */
export interface FolderServer {
  /** http://127.0.0.1:PORT (no trailing slash) */
  base: string;
  /** paths requested, in order */
  log: string[];
  close(): Promise<void>;
}

/** Serves `folder` (files only; 404 for anything else or outside it); `extra` maps paths to bodies first. */
export async function serveFolder(folder: string, extra: Record<string, string | Uint8Array> = {}): Promise<FolderServer> {
  // normalised (no trailing slash), so the containment check below holds for `dir/` as for `dir`
  const root = resolve(folder);
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(path);
    const body = extra[path];
    if (body !== undefined) { res.end(body); return; }
    const file = resolve(root, `.${path}`);
    if (!file.startsWith(root + sep)) { res.writeHead(404); res.end(); return; }
    readFile(file).then((b) => res.end(b), () => { res.writeHead(404); res.end(); });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

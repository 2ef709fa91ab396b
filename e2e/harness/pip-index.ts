/**
 * A PEP 691 (JSON simple API) package index on loopback serving wheels (and sdists, `.tar.gz`) from a folder:
 * each project page lists its files with their sha256; `/files/<name>` serves a file (and byte ranges of it,
 * as PyPI's file host does) and counts each whole download. `tamper` makes the server send other bytes for a file than the page's sha256 announces (a corrupted or replaced upload).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

/** A running index. */
export interface PipIndex {
  /** the index URL (`http://127.0.0.1:PORT/simple/`) */
  readonly url: string;
  /** downloads of each wheel file by name */
  readonly downloads: Map<string, number>;
  /** project pages served (what a resolution asks) */
  readonly pages: () => number;
  /** serve `filename` with these bytes instead (its page still announces the real file's sha256) */
  tamper(filename: string, bytes: Uint8Array | undefined): void;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Serves every `.whl` and `.tar.gz` in `folder` (read at each request, so files written later are listed too). */
export async function servePipIndex(folder: string): Promise<PipIndex> {
  const downloads = new Map<string, number>();
  const tampered = new Map<string, Uint8Array>();
  let pages = 0;
  const server = createServer((req, res) => {
    const proj = /^\/simple\/([^/]+)\/$/.exec(req.url ?? '');
    const file = /^\/files\/([\w.+-]+\.(?:whl|tar\.gz))$/.exec(req.url ?? '');
    const wheels = readdirSync(folder).filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz'));
    if (proj) {
      pages++;
      const mine = wheels.filter((f) => f.split('-')[0]!.toLowerCase().replace(/[-_.]+/g, '-') === proj[1]);
      if (!mine.length) return res.writeHead(404).end();
      return res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(JSON.stringify({
        meta: { 'api-version': '1.1' }, name: proj[1],
        files: mine.map((f) => ({ filename: f, url: `../../files/${f}`, hashes: { sha256: sha256(readFileSync(join(folder, f))) } })),
      }));
    }
    if (file && wheels.includes(file[1]!)) {
      const body = tampered.get(file[1]!) ?? readFileSync(join(folder, file[1]!));
      // ranged reads (a wheel's METADATA read through its zip directory) are answered 206 and not counted
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = range[1] ? Number(range[1]) : Math.max(0, body.byteLength - Number(range[2]));
        const end = range[1] && range[2] ? Math.min(Number(range[2]), body.byteLength - 1) : body.byteLength - 1;
        return res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${body.byteLength}` }).end(body.subarray(start, end + 1));
      }
      downloads.set(file[1]!, (downloads.get(file[1]!) ?? 0) + 1);
      return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/simple/`, downloads, pages: () => pages,
    tamper(filename, bytes) { if (bytes) tampered.set(filename, bytes); else tampered.delete(filename); },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

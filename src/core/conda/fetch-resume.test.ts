/**
 * fetchPackages over a real loopback HTTP server that cuts the connection mid-body: the download resumes
 * with Range from the byte reached (or skips what it had when the server ignores Range), at most 3 tries in
 * all, then fails naming the package; the store never holds anything unverified.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryBlobStore } from '../cache';
import { fetchPackages } from './fetch';

const BODY = new Uint8Array(256 * 1024).map((_, i) => (i * 7919) % 251);
const SHA = createHash('sha256').update(BODY).digest('hex');

describe('fetchPackages: a body cut mid-way', () => {
  let server: Server;
  let base: string;
  /** responses to cut after half their bytes; whether Range is honoured; ranges asked for */
  const state = { cuts: 0, ranges: true, asked: [] as string[] };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      state.asked.push(req.headers.range ?? '');
      const from = range && state.ranges ? Number(range[1]) : 0;
      const body = BODY.subarray(from);
      res.writeHead(from ? 206 : 200, { 'content-length': String(body.length), ...(from ? { 'content-range': `bytes ${from}-${BODY.length - 1}/${BODY.length}` } : {}) });
      if (state.cuts > 0) {
        state.cuts--;
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((r) => server.close(r)); });

  const pkg = () => ({ fn: 'cut-1.0-0.conda', url: `${base}/cut-1.0-0.conda`, sha256: SHA, size: BODY.length });

  it('resumes with Range from the byte reached and keeps the verified package', async () => {
    Object.assign(state, { cuts: 2, ranges: true, asked: [] });
    const store = memoryBlobStore();
    const got = await fetchPackages([pkg()], { store });
    expect(new Uint8Array(await got.get('cut-1.0-0.conda')!.arrayBuffer())).toEqual(BODY);
    expect(state.asked[0]).toBe('');
    expect(state.asked.slice(1)).toEqual([expect.stringMatching(/^bytes=\d+-$/), expect.stringMatching(/^bytes=\d+-$/)]);
    expect(Number(state.asked[1].slice(6, -1))).toBeGreaterThan(0);
  });

  it('skips the bytes it had when the server answers a Range with the whole body', async () => {
    Object.assign(state, { cuts: 1, ranges: false, asked: [] });
    const got = await fetchPackages([pkg()], { store: memoryBlobStore() });
    expect(new Uint8Array(await got.get('cut-1.0-0.conda')!.arrayBuffer())).toEqual(BODY);
    expect(state.asked).toHaveLength(2);
  });

  it('after 3 tries fails naming the package, and keeps nothing', async () => {
    Object.assign(state, { cuts: 3, ranges: true, asked: [] });
    const store = memoryBlobStore();
    await expect(fetchPackages([pkg()], { store })).rejects.toMatchObject({ code: 'network-error', message: expect.stringMatching(/^cut-1\.0-0\.conda: the download from http:\/\/127\.0\.0\.1:\d+\/cut-1\.0-0\.conda was cut after \d+ bytes, 3 tries/) });
    expect(state.asked).toHaveLength(3);
    expect(store.size).toBe(0);
  });
});

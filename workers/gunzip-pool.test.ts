/**
 * The gunzip pool over stand-in workers (a MessageChannel whose far end serves the gunzip worker's calls, as
 * the worker does): the native gzip path of decompressStream decodes through it to the same bytes, in pieces
 * of a MiB; a corrupt or cut-short stream fails with a plain Error (so decompressStream falls back to fflate,
 * as it does when the native decoder fails) and frees the worker; a busy pool gives no stream (the caller
 * decodes itself); a worker that fails fails its stream and is replaced.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { writeDockerArchive } from '../src/core/archive';
import { decompressStream, useOffloadedGunzip } from '../src/core/compress';
import { sha256 } from '../src/core/digest';
import { appendLayers, emptyImage, layerFromFiles } from '../src/core/image';
import { fetchRegistryImage, RegistryClient } from '../src/core/registry';
import { CoreError } from '../src/core/errors';
import { gunzipWorkerApi } from './gunzip-job';
import { gunzipWorkerPool } from './gunzip-pool';

/** Stand-in workers, each serving gunzipWorkerApi on the far end of a channel; `made` lists them. */
function standIns(opts: { refuse?: boolean } = {}) {
  const made: Array<{ worker: Worker; pieces: number[]; pushes: number; hashed: boolean }> = [];
  const create = (): Worker => {
    const { port1, port2 } = new MessageChannel();
    const api = gunzipWorkerApi();
    const pieces: number[] = [];
    const push = api.push.bind(api);
    const start = api.start.bind(api);
    // counts the decoded pieces handed back and the pushes, to see the work was done over there
    api.push = async (b) => {
      rec.pushes++;
      // as Chromium's decoder refuses a second gzip member
      if (opts.refuse) throw new TypeError('Junk found after end of compressed data.');
      const out = await push(b); pieces.push(...out.map((p) => p.byteLength)); return out; };
    api.start = async (hash) => { if (hash) rec.hashed = true; return start(hash); };
    const rec = { pushes: 0, hashed: false };
    const end = api.end.bind(api);
    api.end = async () => { const out = await end(); pieces.push(...out.pieces.map((p) => p.byteLength)); return out; };
    expose(api, port2);
    const worker = Object.assign(port1, { terminate: () => { port1.close(); port2.close(); } }) as unknown as Worker;
    made.push(Object.assign(rec, { worker, pieces }));
    return worker;
  };
  return { made, create };
}

/** Bytes that compress but are not trivial. */
function sample(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = (x >>> 24) % 16 + (i % 7); }
  return b;
}

/** `bytes` as a stream of chunks of `size`. */
function chunked(bytes: Uint8Array, size = 65536): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) { c.close(); return; }
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const readAll = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

afterEach(() => useOffloadedGunzip(undefined));

describe('gunzip worker pool', () => {
  it('decodes the native gzip path over there to the same bytes, in pieces of a MiB', async () => {
    const { made, create } = standIns();
    useOffloadedGunzip(gunzipWorkerPool(1, create));
    const plain = sample(3 * 1024 * 1024 + 777);
    const gz = gzipSync(plain);
    const out = await readAll(decompressStream(chunked(gz), 'gzip', { reopen: () => chunked(gz) }));
    expect(out.length).toBe(plain.length);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(plain))).toBe(0);
    expect(made.length).toBe(1);
    expect(made[0].pieces).toEqual([1 << 20, 1 << 20, 1 << 20, 777]);
    // the worker is free again: the next stream uses it, no second worker
    const again = await readAll(decompressStream(chunked(gz), 'gzip', { reopen: () => chunked(gz) }));
    expect(again.length).toBe(plain.length);
    expect(made.length).toBe(1);
  });

  it('a corrupt or cut-short stream fails with a plain Error (not a CoreError) and frees the worker', async () => {
    const { made, create } = standIns();
    const pool = gunzipWorkerPool(1, create);
    const gz = gzipSync(sample(512 * 1024));
    const corrupt = gz.slice();
    for (let i = 200; i < 400; i++) corrupt[i] ^= 0x5a;
    for (const bad of [corrupt, gz.subarray(0, gz.length - 100)]) {
      const t = pool()!.stream;
      const e = await readAll(chunked(bad, 4096).pipeThrough(t)).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(CoreError);
      expect((e as Error).message).toMatch(/^gzip decoder: /);
    }
    // decompressStream then decodes with fflate, which refuses it too: a clear compression error
    useOffloadedGunzip(pool);
    await expect(readAll(decompressStream(chunked(corrupt), 'gzip', { reopen: () => chunked(corrupt), what: 'layer x' })))
      .rejects.toMatchObject({ code: 'compression-corrupt' });
    expect(made.length).toBe(1);
  });

  it('gives no stream while every worker is busy, so the caller decodes it itself', async () => {
    const { create } = standIns();
    const pool = gunzipWorkerPool(1, create);
    const first = pool();
    expect(first).toBeDefined();
    expect(pool()).toBeUndefined();
    const gz = gzipSync(sample(100_000));
    expect((await readAll(chunked(gz).pipeThrough(first!.stream))).length).toBe(100_000);
    expect(pool()).toBeDefined();
  });

  it('a worker that fails fails its stream, and the next stream starts another worker', async () => {
    const { made, create } = standIns();
    const pool = gunzipWorkerPool(1, create);
    const t = pool()!.stream;
    const w = t.writable.getWriter();
    const reading = readAll(t.readable).then(() => undefined, (err: unknown) => err);
    await w.write(gzipSync(sample(1000)).subarray(0, 20)).catch(() => {});
    made[0].worker.dispatchEvent(new Event('error'));
    const e = await reading;
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/gunzip worker failed/);
    const next = pool();
    expect(next).toBeDefined();
    expect(made.length).toBe(2);
    const gz = gzipSync(sample(5000));
    expect((await readAll(chunked(gz).pipeThrough(next!.stream))).length).toBe(5000);
  });

  it('hashes the decoded output over there when asked: the diff_id check of decompressStream passes on the right digest and size', async () => {
    const { made, create } = standIns();
    useOffloadedGunzip(gunzipWorkerPool(1, create));
    const plain = sample(2 * 1024 * 1024 + 333);
    const gz = gzipSync(plain);
    const digest = `sha256:${createHash('sha256').update(plain).digest('hex')}` as const;
    const out = await readAll(decompressStream(chunked(gz, 4096), 'gzip', { reopen: () => chunked(gz), expect: { digest, size: plain.length, what: 'layer' } }));
    expect(Buffer.compare(Buffer.from(out), Buffer.from(plain))).toBe(0);
    expect(made.length).toBe(1);
    // small network chunks were gathered before crossing: fewer pushes than chunks
    expect(made[0].pushes).toBeLessThan(Math.ceil(gz.length / 4096));
    expect(made[0].hashed).toBe(true);
  });

  it('a decoded output whose digest or size differs from the expected one errors the stream at its end (digest) or once too long (size)', async () => {
    const { create } = standIns();
    useOffloadedGunzip(gunzipWorkerPool(1, create));
    const plain = sample(1024 * 1024 + 5);
    const gz = gzipSync(plain);
    const right = `sha256:${createHash('sha256').update(plain).digest('hex')}` as const;
    const wrong = `sha256:${'0'.repeat(64)}` as const;
    const read = (expect: { digest: `sha256:${string}`; size?: number }) => readAll(decompressStream(chunked(gz), 'gzip', { reopen: () => chunked(gz), expect: { ...expect, what: 'layer' } }));
    await expect(read({ digest: wrong })).rejects.toMatchObject({ name: 'DigestMismatchError', code: 'digest-mismatch' });
    await expect(read({ digest: wrong, size: plain.length })).rejects.toMatchObject({ name: 'DigestMismatchError' });
    await expect(read({ digest: right, size: plain.length - 1 })).rejects.toMatchObject({ name: 'SizeMismatchError' });
    await expect(read({ digest: right, size: plain.length + 1 })).rejects.toMatchObject({ name: 'SizeMismatchError' });
    // and the worker is free again for a right one
    expect((await read({ digest: right, size: plain.length })).length).toBe(plain.length);
  });

  it('a gzip the decoder over there refuses is decoded by fflate and its whole output checked here', async () => {
    const { made, create } = standIns({ refuse: true });
    useOffloadedGunzip(gunzipWorkerPool(1, create));
    const a = sample(300_000);
    const b = sample(200_001).reverse();
    const gz = Buffer.concat([gzipSync(a), gzipSync(b)]);
    const plain = Buffer.concat([a, b]);
    const right = `sha256:${createHash('sha256').update(plain).digest('hex')}` as const;
    const read = (digest: `sha256:${string}`) => readAll(decompressStream(chunked(gz, 4096), 'gzip', { reopen: () => chunked(gz), expect: { digest, size: plain.length } }));
    const out = await read(right);
    expect(Buffer.compare(Buffer.from(out), plain)).toBe(0);
    await expect(read(`sha256:${'1'.repeat(64)}`)).rejects.toMatchObject({ name: 'DigestMismatchError' });
    await expect(read(right.replace(/.$/, (c) => c === '0' ? '1' : '0') as `sha256:${string}`)).rejects.toMatchObject({ name: 'DigestMismatchError' });
    expect(made[0].pushes).toBeGreaterThan(0);
  });

  it('a pulled layer written into an archive is checked against the config\'s diff_id over there: a wrong one fails the write, with the offload and without', async () => {
    const image = appendLayers(emptyImage(), [{ layer: layerFromFiles({ 'etc/data': sample(1_500_000) }) }]);
    const manifest = await image.manifest();
    const config = JSON.parse(new TextDecoder().decode(await image.rawConfig())) as { rootfs: { diff_ids: string[] } };
    const [layer] = await image.layers();
    // the layer as a registry serves it: gzip-compressed
    const gz = gzipSync(new Uint8Array(await new Response(layer.uncompressed()).arrayBuffer()));
    const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await sha256(gz), size: gz.length };
    /** a scripted registry serving the image, its config's diff_id replaced by `diffId` */
    const registryWith = async (diffId: string): Promise<typeof fetch> => {
      const rawConfig = new TextEncoder().encode(JSON.stringify({ ...config, rootfs: { ...config.rootfs, diff_ids: [diffId] } }));
      const m = { ...manifest, config: { ...manifest.config, digest: await sha256(rawConfig), size: rawConfig.length }, layers: [layerDesc] };
      const rawManifest = new TextEncoder().encode(JSON.stringify(m));
      const blobs = new Map<string, Uint8Array>([[m.config.digest, rawConfig], [layerDesc.digest, gz]]);
      return async (input) => {
        const path = new URL(String(input)).pathname;
        if (path === '/v2/x/base/manifests/1') return new Response(rawManifest as BodyInit, { headers: { 'content-type': m.mediaType!, 'docker-content-digest': await sha256(rawManifest) } });
        const blob = blobs.get(path.replace('/v2/x/base/blobs/', ''));
        return blob ? new Response(blob as BodyInit) : new Response('not found', { status: 404 });
      };
    };
    const save = async (diffId: string) => {
      const pulled = await fetchRegistryImage(new RegistryClient({ fetch: await registryWith(diffId) }), 'registry.test/x/base:1');
      return readAll(writeDockerArchive([{ image: pulled.image, tags: ['x/base:1'] }]));
    };
    const right = config.rootfs.diff_ids[0];
    const wrong = `sha256:${'2'.repeat(64)}`;
    for (const offload of [true, false]) {
      const { made, create } = standIns();
      useOffloadedGunzip(offload ? gunzipWorkerPool(1, create) : undefined);
      expect((await save(right)).length).toBeGreaterThan(1_500_000);
      await expect(save(wrong)).rejects.toMatchObject({ name: 'DigestMismatchError', expected: wrong, actual: right });
      expect(made.map((w) => w.hashed)).toEqual(offload ? [true] : []);
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './serve';

describe('serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docker-envs-serve-'));
  let url = '';
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'm.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const proxy = new Hono().get('/ping', (c) => c.text('pong'));
    ({ url, close } = await startServer({ staticRoot: dir, port: 0, host: '127.0.0.1', routes: { '/proxy': proxy } }));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback only by default', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves index.html at / and .wasm as application/wasm', async () => {
    const index = await fetch(url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const wasm = await fetch(new URL('m.wasm', url));
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  });

  it('routes a mounted sub-app before static files and answers 404 otherwise', async () => {
    expect(await (await fetch(new URL('proxy/ping', url))).text()).toBe('pong');
    expect((await fetch(new URL('missing.js', url))).status).toBe(404);
    expect((await fetch(new URL('../../etc/passwd', url).href.replace('/etc', '/%2e%2e/etc'))).status).toBe(404);
  });
});

/**
 * Floor rows: the raw parts of what a row measures, each alone in Chromium, measured in the same run and
 * printed beside the row they bound (bench/floor.worker.ts does the work). A floor has no peer and no
 * target: it says how fast the platform does the part, so a row's time can be read against it.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { Hono } from 'hono';
import type { Page } from '@playwright/test';
import type { FloorReply, FloorRequest } from './floor.worker.js';

const repo = resolve(import.meta.dirname, '..');
let bundled: Promise<string> | undefined;

/** The floor worker bundled for the browser (hash-wasm included), once per bench run. */
function workerSource(): Promise<string> {
  return (bundled ??= build({
    entryPoints: [resolve(repo, 'bench', 'floor.worker.ts')], bundle: true, write: false, format: 'esm',
    platform: 'browser', target: 'es2022', logLevel: 'error',
  }).then((r) => r.outputFiles[0].text));
}

/** Routes for the bench server under `/floor`: an empty page (`/floor`) and the worker (`/floor/worker.js`). */
export async function floorApp(): Promise<Hono> {
  const source = await workerSource();
  const app = new Hono();
  app.get('/', (c) => c.html('<!doctype html><meta charset="utf-8"><title>bench floor</title><input type="file" id="pick">'));
  app.get('/worker.js', (c) => c.body(source, 200, { 'content-type': 'text/javascript' }));
  return app;
}

/** Opens the floor page at `base` (the served origin), asks its worker once, and gives the reply. */
export async function askFloorWorker(page: Page, base: string, request: Extract<FloorRequest, { kind: 'pull' }> | { kind: 'read'; path: string }): Promise<FloorReply> {
  await page.goto(`${base}floor`);
  if (request.kind === 'read') await page.locator('#pick').setInputFiles(request.path);
  // a string, not a function: the TypeScript loader would wrap named arrows in a helper the page lacks
  const reply = await page.evaluate(`new Promise((ok) => {
    const w = new Worker('/floor/worker.js', { type: 'module' });
    w.onmessage = (e) => { ok(e.data); w.terminate(); };
    w.onerror = (e) => ok({ kind: 'error', message: e.message || 'the floor worker failed to start' });
    const req = ${JSON.stringify(request)};
    w.postMessage(req.kind === 'read' ? { kind: 'read', file: document.getElementById('pick').files[0] } : req);
  })`) as FloorReply;
  if (reply.kind === 'error') throw new Error(`floor worker: ${reply.message}`);
  return reply;
}

/**
 * How the CLI starts its layer worker threads (core/pipeline/layer-thread-entry.node.ts), wherever the CLI
 * runs from: the one-file program (one-file.node.ts) sets a starter that runs its own file again, flagged as a
 * layer thread, since nothing ships beside it; a bundle made by bin/bundled.js has the thread's script bundled
 * next to it; from the TypeScript sources, the thread loads them through tsx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LayerThreadData } from '../core/pipeline/layer-thread-pool.node.js';

let starter: ((data: LayerThreadData) => Worker) | undefined;

/** Sets how layer threads start for the rest of this process (called once, by the program's entry). */
export function useLayerThreadStarter(start: (data: LayerThreadData) => Worker): void {
  starter = start;
}

/** Starts a layer thread: the entry's starter if one was set, else the bundled script, else the source. */
export function startLayerThread(workerData: LayerThreadData): Worker {
  if (starter) return starter(workerData);
  // bin/bundled.js writes it beside the CLI's bundle, which this module is part of then
  const bundled = new URL('./layer-thread-entry.node.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled, { workerData });
  const source = new URL('../core/pipeline/layer-thread-entry.node.ts', import.meta.url).href;
  // tsx's ESM API (its package exports name the file for `import`; require.resolve would give the CommonJS one)
  const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = pathToFileURL(join(dirname(pkgJson), api)).href;
  // dynamic imports only: the eval'd bootstrap may be evaluated as CommonJS
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(source)}))`, { eval: true, workerData });
}

/** The assembly bench's page: its worker's API on `window.__api` (the bench calls it with page.evaluate). */
import { wrap } from 'comlink';
import type { AssemblyPageApi } from './assembly.worker';

declare global {
  interface Window { __api?: unknown }
}

window.__api = wrap<AssemblyPageApi>(new Worker(new URL('./assembly.worker.ts', import.meta.url), { type: 'module' }));
document.getElementById('out')!.textContent = 'ready';

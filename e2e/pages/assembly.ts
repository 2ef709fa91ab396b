/** The assembly bench's page: its worker's API on `window.__api` (the bench calls it with page.evaluate). */
import { wrap } from 'comlink';
import type { AssemblyPageApi } from './assembly.worker';

declare global {
  interface Window { __api?: unknown; __longTasks?: number[] }
}

// main-thread long tasks (ms each), for the bench's long-task row: it empties the list before a build
window.__longTasks = [];
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks!.push(e.duration); }).observe({ type: 'longtask', buffered: false });
} catch { /* no long-task timing in this browser: the row reports it */ }

window.__api = wrap<AssemblyPageApi>(new Worker(new URL('./assembly.worker.ts', import.meta.url), { type: 'module' }));
document.getElementById('out')!.textContent = 'ready';

/** Builds an environment image in a Web Worker and reports the archive's sha256 in `window.__result`. */
import { wrap } from 'comlink';
import type { BuildPageApi } from './build.worker';

declare global {
  interface Window { __result?: unknown; __api?: unknown }
}

const out = document.getElementById('out')!;
const api = wrap<BuildPageApi>(new Worker(new URL('./build.worker.ts', import.meta.url), { type: 'module' }));
window.__api = api; // the bench calls the worker directly

document.getElementById('go')!.addEventListener('click', async () => {
  const base = (document.getElementById('base') as HTMLInputElement).files![0];
  const channel = (document.getElementById('channel') as HTMLInputElement).value;
  const specs = (document.getElementById('specs') as HTMLInputElement).value.split(/\s+/).filter(Boolean);
  try {
    window.__result = await api.build(base, specs, channel, `${location.origin}/proxy`, 1_700_000_000, 'docker-envs.test/built:1');
  } catch (e) {
    window.__result = { error: e instanceof Error ? e.message : String(e) };
  }
  out.textContent = JSON.stringify(window.__result, null, 2);
  out.dataset.done = 'true';
});

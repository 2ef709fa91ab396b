/**
 * Builds the shared sample image (e2e/recipes/sample-image.ts) in a Web Worker from a picked rootfs tar
 * and a picked folder, and reports the written archive's sha256 in `window.__result`.
 */
import { wrap } from 'comlink';
import type { DeterminismApi } from './determinism.worker';

declare global {
  interface Window { __result?: unknown }
}

const out = document.getElementById('out')!;
const api = wrap<DeterminismApi>(new Worker(new URL('./determinism.worker.ts', import.meta.url), { type: 'module' }));

document.getElementById('go')!.addEventListener('click', async () => {
  const rootfs = (document.getElementById('rootfs') as HTMLInputElement).files![0];
  // File objects lose webkitRelativePath when cloned into a worker: send the paths alongside
  const files = [...(document.getElementById('folder') as HTMLInputElement).files!].map((file) => ({ path: file.webkitRelativePath, file }));
  try {
    window.__result = await api.build(rootfs, files, 1_700_000_000);
  } catch (e) {
    window.__result = { error: e instanceof Error ? e.message : String(e) };
  }
  out.textContent = JSON.stringify(window.__result, null, 2);
  out.dataset.done = 'true';
});

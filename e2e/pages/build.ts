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

/**
 * A local channel as a directory handle: the picked folder's files are copied into an OPFS folder (the File
 * System Access pickers need a user gesture and a native dialog, which a test cannot drive; an OPFS
 * FileSystemDirectoryHandle has the same interface), whose handle goes to the worker.
 */
async function channelHandle(files: File[]): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const name = `local-channel-${crypto.randomUUID()}`;
  const dir = await root.getDirectoryHandle(name, { create: true });
  for (const f of files) {
    const parts = f.webkitRelativePath.split('/').slice(1); // without the picked folder's own name
    let d = dir;
    for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
    const w = await (await d.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
    await w.write(f);
    await w.close();
  }
  return dir;
}

document.getElementById('go-folder')!.addEventListener('click', async () => {
  const base = (document.getElementById('base') as HTMLInputElement).files![0];
  const files = [...(document.getElementById('channel-folder') as HTMLInputElement).files!];
  const channelUrl = (document.getElementById('channel') as HTMLInputElement).value;
  const specs = (document.getElementById('specs') as HTMLInputElement).value.split(/\s+/).filter(Boolean);
  try {
    window.__result = await api.buildFromFolder(base, specs, await channelHandle(files), channelUrl, 1_700_000_000, 'docker-envs.test/built:1');
  } catch (e) {
    window.__result = { error: e instanceof Error ? e.message : String(e) };
  }
  out.textContent = JSON.stringify(window.__result, null, 2);
  out.dataset.done = 'true';
});

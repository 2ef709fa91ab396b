// A user's Vite app: imports the installed package by its name (the bundler picks the `browser` entry), builds a
// one-layer image in the page and writes its archive to memory. The test reads the result from `window.packed`.
import { containerImage, digestHex, emptyImage, sha256 } from 'docker-envs';

const image = containerImage(emptyImage(), 'packed-package:vite')
  .addLayerContents({ 'hello.txt': 'built by a Vite app' })
  .withConfig((c) => { c.config = { ...c.config, Env: ['FOO=VITE'] }; });
const chunks = [];
await image.writeTo(new WritableStream({ write(chunk) { chunks.push(chunk); } }));
const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
let binary = '';
for (const b of bytes) binary += String.fromCharCode(b);
window.packed = { archive: btoa(binary), sha256: digestHex(await sha256(bytes)), config: (await image.manifest()).config.digest };

// examples 1–3 in a worker, when the page is given a registry reference and a channel
const params = new URLSearchParams(location.search);
if (params.has('base')) {
  const worker = new Worker(new URL('./examples.worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => { window.examples = data; worker.terminate(); };
  worker.onerror = (e) => { window.examples = { error: e.message }; };
  worker.postMessage({ base: params.get('base'), channel: params.get('channel') });
}

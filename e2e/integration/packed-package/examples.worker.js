// The seed's examples 1–3 in a Web Worker of a user's Vite app, through the package's browser entry. Registry and
// channel requests go to the page's origin (`/proxy?u=URL`), as the app's CORS proxy would carry them.
import { buildDockerEnvironment, pullImage } from 'docker-envs';

const realFetch = globalThis.fetch.bind(globalThis);
/** Sends a request through the origin's proxy route (captured once: the solver swaps the global fetch). */
const viaOrigin = (input, init) => {
  const req = new Request(input, init);
  return realFetch(new Request(`${self.location.origin}/proxy?u=${encodeURIComponent(req.url)}`, req));
};

/** Streams an image archive into memory; returns it as base64. */
function memorySink() {
  const chunks = [];
  return {
    sink: new WritableStream({ write(chunk) { chunks.push(chunk); } }),
    async base64() {
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    },
  };
}

self.onmessage = async ({ data: { base, channel } }) => {
  try {
    // 1. pull
    const { image: pulled, manifestDigest } = await pullImage(base, { fetch: viaOrigin });
    // 2. surgery: rename, in-memory files, FOO=BAR, written to a stream
    const edited = pulled.withName('packed-package:browser-surgery')
      .addLayerContents({ 'this/is/a/test1': 'this is test 1 (browser)' })
      .withConfig((c) => { c.config = { ...c.config, Env: [...(c.config?.Env ?? []), 'FOO=BAR'] }; });
    const surgery = memorySink();
    await edited.writeTo(surgery.sink);
    // 3. a conda environment on the base, solved in the worker
    const env = memorySink();
    const built = await buildDockerEnvironment({
      baseImage: base, outputImage: 'packed-package:browser-env', packages: ['hello-script'], channels: [channel],
      pull: { fetch: viaOrigin }, fetch: viaOrigin, output: env.sink,
    });
    self.postMessage({
      pulled: manifestDigest,
      surgery: await surgery.base64(), surgeryConfig: (await edited.manifest()).config.digest,
      env: await env.base64(), envConfig: (await built.image.manifest()).config.digest, solved: built.solved.map((r) => r.name),
    });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};

/**
 * The floor rows' worker (bundled by bench/floors.ts, run in Chromium): the raw parts of the work a row
 * measures, each timed alone. `read` drains a picked file as a Blob; `pull` fetches an image's layer blobs
 * through the proxy (draining them: the raw transfer), decompresses them with `DecompressionStream`,
 * hashes them with hash-wasm (each digest checked against the manifest), and writes an OPFS file of
 * about the archive's size through a FileSystemWritableFileStream, as a picked save file is written.
 */
import { createSHA256 } from 'hash-wasm';

/** What the page asks. */
export type FloorRequest =
  | { kind: 'read'; file: Blob }
  | { kind: 'pull'; base: string; repo: string; tag: string };

/** What the worker answers (times in ms). */
export type FloorReply =
  | { kind: 'read'; ms: number; bytes: number }
  | { kind: 'pull'; transferMs: number; decompressMs: number; hashMs: number; opfsMs: number; layers: number; compressed: number; uncompressed: number; archiveBytes: number }
  | { kind: 'error'; message: string };

const MANIFESTS = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

async function drain(stream: ReadableStream<Uint8Array>, each: (c: Uint8Array) => void = () => {}): Promise<number> {
  const reader = stream.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    each(value);
    n += value.byteLength;
  }
}

async function get(url: string, accept?: string): Promise<Response> {
  const r = await fetch(url, { cache: 'no-store', ...(accept ? { headers: { accept } } : {}) });
  if (!r.ok || !r.body) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

async function pull(base: string, repo: string, tag: string): Promise<FloorReply> {
  const manifest = await (await get(`${base}/v2/${repo}/manifests/${tag}`, MANIFESTS)).json() as { config: { size: number }; layers: Array<{ digest: string; size: number }> };
  const blobUrl = (d: string) => `${base}/v2/${repo}/blobs/${d}`;
  let t = performance.now();
  let compressed = 0;
  for (const l of manifest.layers) compressed += await drain((await get(blobUrl(l.digest))).body!);
  const transferMs = performance.now() - t;
  // the bytes again, kept in memory (untimed), so the next floors measure no network
  const blobs = await Promise.all(manifest.layers.map(async (l) => (await get(blobUrl(l.digest))).blob()));
  t = performance.now();
  let uncompressed = 0;
  for (const b of blobs) uncompressed += await drain(b.stream().pipeThrough(new DecompressionStream('gzip')));
  const decompressMs = performance.now() - t;
  const sha = await createSHA256();
  t = performance.now();
  for (const [i, b] of blobs.entries()) {
    sha.init();
    await drain(b.stream(), (c) => sha.update(c));
    const digest = `sha256:${sha.digest('hex')}`;
    if (digest !== manifest.layers[i].digest) throw new Error(`layer ${i} hashed to ${digest}, the manifest says ${manifest.layers[i].digest}`);
  }
  const hashMs = performance.now() - t;
  // a docker-archive holds the uncompressed layers, the config and a few small files
  const archiveBytes = uncompressed + manifest.config.size + 10_240;
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle('floor.tar', { create: true });
  const chunk = new Uint8Array(1 << 20).fill(7);
  t = performance.now();
  const out = await (handle as FileSystemFileHandle & { createWritable(): Promise<FileSystemWritableFileStream> }).createWritable();
  for (let left = archiveBytes; left > 0; left -= chunk.byteLength) await out.write(left >= chunk.byteLength ? chunk : chunk.subarray(0, left));
  await out.close();
  const opfsMs = performance.now() - t;
  await root.removeEntry('floor.tar');
  return { kind: 'pull', transferMs, decompressMs, hashMs, opfsMs, layers: blobs.length, compressed, uncompressed, archiveBytes };
}

self.onmessage = async (e: MessageEvent<FloorRequest>) => {
  try {
    const m = e.data;
    if (m.kind === 'read') {
      const t = performance.now();
      const bytes = await drain(m.file.stream());
      self.postMessage({ kind: 'read', ms: performance.now() - t, bytes } satisfies FloorReply);
    } else {
      self.postMessage(await pull(m.base, m.repo, m.tag));
    }
  } catch (err) {
    self.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FloorReply);
  }
};

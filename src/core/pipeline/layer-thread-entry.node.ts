/**
 * A worker thread of the Node layer pool (layer-thread-pool.node.ts): runs layer jobs with Node's own sha256 and
 * temporary files for what does not fit in memory. Packages arrive as file paths (file-backed Blobs cannot
 * be posted) or bytes; a layer in memory goes back by transfer, a spilled one as its path.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { spillToTempFile } from '../archive/spill.node.js';
import { fileOfBlob, openFileBlob } from '../cache/file-blob.node.js';
import { loadZstdWasm } from '../compress/zstd-wasm';
import { useNodeSha256 } from '../digest/sha256.node.js';
import { CoreError, serializeError } from '../errors';
import { runLayerJob } from './layer-job';
import { transferableTar } from './layer-pool-protocol';
import type { WireJob, WireReply } from './layer-thread-pool.node.js';

useNodeSha256();
// the decoder is instantiated before the first job arrives (a failure here only means the streaming path)
void loadZstdWasm().catch(() => {});
const { spillDir, maxInMemory } = workerData as { spillDir: string; maxInMemory?: number };
const port = parentPort!;

port.on('message', async ({ id, job }: { id: number; job: WireJob }) => {
  let reply: WireReply;
  const transfer: Transferable[] = [];
  try {
    const packages = await Promise.all(job.packages.map(async (p) => ({
      fn: p.fn, ...(p.origin ? { origin: p.origin } : {}),
      blob: p.path !== undefined ? await openFileBlob(p.path) : new Blob([p.bytes as Uint8Array<ArrayBuffer>]),
    })));
    const r = await runLayerJob({ prefix: job.prefix, epoch: job.epoch, ...(job.pythonVersion ? { pythonVersion: job.pythonVersion } : {}), packages }, { spill: (s) => spillToTempFile(s, spillDir), pieces: true, ...(maxInMemory !== undefined ? { maxInMemory } : {}) });
    if (!(r.tar instanceof Blob)) {
      reply = { id, digest: r.digest, size: r.size, packages: r.packages, tar: transferableTar(r.tar, transfer) as Uint8Array | Uint8Array[] };
    } else {
      const tarPath = fileOfBlob(r.tar);
      if (!tarPath) throw new CoreError('internal', 'a spilled layer has no file');
      reply = { id, digest: r.digest, size: r.size, packages: r.packages, tarPath };
    }
  } catch (e) {
    reply = { id, error: serializeError(e) };
  }
  port.postMessage(reply, transfer as ArrayBuffer[]);
});

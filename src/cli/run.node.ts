/** Entry of the `docker-envs` command (bundled by bin/bundled.js): Node's native engines, then the CLI. */
import { setFlagsFromString } from 'node:v8';
import { useNodeGunzip } from '../core/compress/gunzip.node.js';
import { useNodeMd5 } from '../core/digest/md5.node.js';
import { useNodeSha256 } from '../core/digest/sha256.node.js';
import { describeFailure, main } from './main';

// native sha256, md5 and zlib: the same bytes and digests as the browser's engines, faster (zstd is WebAssembly
// everywhere; the build's layers are made in worker threads, see core/pipeline/layer-thread-pool.node.ts)
useNodeSha256();
useNodeMd5();
useNodeGunzip();

// the collector's room: a command streams hundreds of MB of buffers through a small live heap, and V8's default
// growth from so small a heap starts a full mark-compact every few MB promoted. The old generation may now grow to
// 5× what was live at the last collection before the next (still bounded by Node's heap limit). Read by V8 at each
// collection.
setFlagsFromString('--heap-growing-percent=400');

// Ctrl-C or a kill: leave through process.exit, so the 'exit' handlers remove what is half written (the
// archive's .partial file, the layers' temporary folder); 128 + the signal's number, as shells report it
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    process.stderr.write(`\ndocker-envs: interrupted (${signal})\n`);
    process.exit(code);
  });
}
// a rejection nothing awaited is still a failure of the command: reported as any error, never as a stack
process.on('unhandledRejection', (e) => {
  process.stderr.write(describeFailure(e));
  process.exit(1);
});

process.exitCode = await main(process.argv.slice(2));

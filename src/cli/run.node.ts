/** Entry of the `docker-envs` command (bundled by bin/bundled.js): Node's native engines, then the CLI. */
import { useNodeGunzip } from '../core/compress/gunzip.node.js';
import { useNodeSha256 } from '../core/digest/sha256.node.js';
import { main } from './main';

// native sha256 and zlib: the same bytes and digests as the browser's engines, faster (zstd is WebAssembly
// everywhere; the build's layers are made in worker threads, see core/build/layer-workers.node.ts)
useNodeSha256();
useNodeGunzip();
process.exitCode = await main(process.argv.slice(2));

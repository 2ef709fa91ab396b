/** Entry of the `docker-envs` command (bundled by bin/bundled.js): Node's native engines, then the CLI. */
import { useNodeGunzip } from '../core/compress/gunzip.node.js';
import { useNodeZstd } from '../core/compress/zstd.node.js';
import { useNodeSha256 } from '../core/digest/sha256.node.js';
import { main } from './main';

// native sha256 and zlib, zstd in worker threads: the same bytes and digests as the browser's engines, faster
useNodeSha256();
useNodeGunzip();
useNodeZstd();
process.exitCode = await main(process.argv.slice(2));

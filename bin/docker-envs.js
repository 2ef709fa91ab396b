#!/usr/bin/env node
// Entry point of the docker-envs CLI: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
// the CLI hashes with Node's native sha256 and gunzips with zlib (same bytes as the browser's engines)
const { useNodeSha256 } = await import('../src/core/digest/sha256.node.ts');
const { useNodeGunzip } = await import('../src/core/compress/gunzip.node.ts');
useNodeSha256();
useNodeGunzip();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// Entry point of the docker-envs CLI: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
// the CLI hashes with Node's native sha256 (same digests as the wasm one the browser uses)
const { useNodeSha256 } = await import('../src/core/digest/sha256.node.ts');
useNodeSha256();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// Entry point of the docker-envs CLI (src/cli/run.node.ts), run from a bundle of the sources: see bundled.js.
import { runBundled } from './bundled.js';

await runBundled('src/cli/run.node.ts');

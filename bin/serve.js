#!/usr/bin/env node
// `npm start`'s server (src/start.node.ts), run from a bundle of the sources: see bundled.js.
import { runBundled } from './bundled.js';

await runBundled('src/start.node.ts');

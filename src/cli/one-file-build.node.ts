/**
 * Builds the one-file CLI, dist/docker-envs.mjs: one-file.node.ts with every dependency and WebAssembly module
 * (the solver's, zstd's and the hashes', which their packages carry inline) in a single ES module that runs
 * with nothing but `node`, from any folder. Run by `npm run build:cli` (and `npm run build`).
 */
import { build } from 'esbuild';
import { chmodSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Writes the one file to `out` (default dist/docker-envs.mjs under the repository); returns its path. */
export async function buildOneFile(out = join(root, 'dist', 'docker-envs.mjs')): Promise<string> {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(root, 'src', 'cli', 'one-file.node.ts')], outfile: tmp, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', logLevel: 'error', legalComments: 'none',
    // CommonJS dependencies call require() for Node's modules: give the ES module one
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  });
  chmodSync(tmp, 0o755);
  renameSync(tmp, out); // atomic: a concurrent run sees the old file or the new one
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const out = await buildOneFile(process.argv[2]);
  process.stdout.write(`${out} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

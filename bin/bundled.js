// Runs a TypeScript entry of the project as a bundled .mjs (esbuild, into .cache/bundle/; what the entry
// imports dynamically goes into chunk files beside it), rebuilt whenever a source file is newer than the bundle. A bundle starts in ~0.1 s and carries no loader,
// where tsx takes ~0.4 s and ~30 MB to compile the sources on the fly; if esbuild is unavailable or
// the build fails, the entry runs through tsx as before.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// every file a bundle is made from: sources, dependencies, this script
const INPUTS = ['src', 'proxy', 'package.json', 'package-lock.json', 'bin/bundled.js'];

function newest(path) {
  let st;
  try { st = statSync(path); } catch { return 0; }
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

// pure-JS packages (wasm inline at most), bundled in: imported from node_modules, Node resolves, reads and (for CommonJS)
// scans every file of theirs for its exports at each start, most of a command's start-up; a bundle only parses them
const INLINE = new Set(['yaml', '@msgpack/msgpack', 'hash-wasm']);

/** Every other package stays external (imported from node_modules as it is: wasm files, native code, workers). */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      const name = a.path.startsWith('@') ? a.path.split('/').slice(0, 2).join('/') : a.path.split('/')[0];
      return INLINE.has(name) ? undefined : { path: a.path, external: true };
    });
  },
};

/**
 * Bundles `entry` into `out`. With `split`, what the entry imports dynamically (each command's modules, see
 * src/cli/commands.ts) goes into chunk files beside it, read only when imported: a command starts without
 * parsing the code of the others (the build's pipeline, YAML, msgpack...).
 */
async function bundle(entry, out, split = false) {
  const { build } = await import('esbuild');
  const dir = dirname(out);
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const common = {
    bundle: true, platform: 'node', format: 'esm',
    target: 'node20', logLevel: 'error', plugins: [externalPackages], mainFields: ['module', 'main'],
    // the CommonJS packages bundled in require Node's built-in modules
    banner: { js: "import { createRequire as __bundledRequire } from 'node:module'; const require = __bundledRequire(import.meta.url);" },
  };
  if (!split) {
    await build({ ...common, entryPoints: [join(root, entry)], outfile: tmp });
    renameSync(tmp, out); // atomic: a concurrent run sees the old bundle or the new one
    return;
  }
  const name = basename(out, '.mjs');
  const r = await build({
    ...common, entryPoints: { [name]: join(root, entry) }, outdir: tmp, splitting: true, metafile: true,
    chunkNames: `${name}-[name]-[hash]`, outExtension: { '.js': '.mjs' },
  });
  // chunks first (named by their content: one of the same name already there has the same bytes), the entry
  // last and atomically, so a run sees the old entry with its chunks or the new one with its own
  for (const file of Object.keys(r.metafile.outputs)) {
    const b = basename(file);
    if (b !== `${name}.mjs`) renameSync(join(tmp, b), join(dir, b));
  }
  renameSync(join(tmp, `${name}.mjs`), out);
  rmSync(tmp, { recursive: true, force: true });
}

/** Imports `entry` (a path from the repository root, e.g. 'src/cli/run.node.ts'), bundled when possible. */
export async function runBundled(entry) {
  // before `npm ci` nothing can run (the bundle imports its dependencies): one line saying what to do
  if (!existsSync(join(root, 'node_modules'))) notInstalled('its dependencies are not installed');
  // same folder depth as src/cli/, so `new URL('../../package.json', import.meta.url)` still finds the package
  const out = join(root, '.cache', 'bundle', `${relative('src', entry).replace(/[\\/]/g, '_').replace(/\.ts$/, '')}.mjs`);
  // the worker threads' script, found next to the bundle by the code that starts them (src/cli/layer-threads.node.ts)
  const workers = [['src/core/pipeline/layer-thread-entry.node.ts', join(root, '.cache', 'bundle', 'layer-thread-entry.node.mjs')]];
  const sources = Math.max(...INPUTS.map((p) => newest(join(root, p))));
  let ok = [out, ...workers.map(([, o]) => o)].every((o) => newest(o) >= sources);
  if (!ok && process.env.DOCKER_ENVS_NO_BUNDLE !== '1') {
    try {
      for (const [w, o] of workers) await bundle(w, o);
      await bundle(entry, out, true);
      ok = true;
    } catch (e) {
      process.stderr.write(`docker-envs: running from the sources (bundling failed: ${e instanceof Error ? e.message : e})\n`);
    }
  }
  try {
    if (ok && process.env.DOCKER_ENVS_NO_BUNDLE !== '1') return await import(pathToFileURL(out).href);
    const { register } = await import('tsx/esm/api');
    register();
    return await import(pathToFileURL(join(root, entry)).href);
  } catch (e) {
    // a dependency missing (an install that is partial or older than package.json) is not a bug to trace
    const pkg = e?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package '([^']+)'/.exec(e.message)?.[1];
    if (pkg) notInstalled(`the package ${pkg} is not installed`);
    throw e;
  }
}

function notInstalled(what) {
  process.stderr.write(`docker-envs: ${what}: run \`npm ci\` in ${root.replace(/[\\/]$/, '')} first\n`);
  process.exit(1);
}

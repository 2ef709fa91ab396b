/**
 * Builds the installable library: dist/lib/index.js (browsers and workers) and dist/lib/index.node.js (Node) from
 * the core's two entries, with the code they share in common chunks (one CoreError class whichever entry loads
 * it), and their declarations in dist/types (tsc with tsconfig.lib.json). Third-party packages stay imports: they
 * are the package's runtime `dependencies`, so a user's bundler resolves them once. Run by `npm run build:lib`
 * (and `prepack`, with the one-file CLI).
 */
import { build, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The bare package names the built library imports at run time (what `dependencies` must hold). */
export function externalPackages(meta: Metafile): string[] {
  const names = new Set<string>();
  for (const out of Object.values(meta.outputs)) {
    for (const imp of out.imports) {
      if (!imp.external || imp.path.startsWith('node:') || imp.path.startsWith('.')) continue;
      const parts = imp.path.split('/');
      names.add(parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return [...names].sort();
}

/** What buildLibrary wrote: the packages the JavaScript imports, and the `node:` modules each output file imports. */
export interface LibraryBuild { packages: string[]; nodeImports: Record<string, string[]> }

/**
 * Writes the JavaScript to `outdir` (default dist/lib) and, unless `types` is false, the declarations to
 * dist/types.
 */
export async function buildLibrary(opts: { types?: boolean; outdir?: string } = {}): Promise<LibraryBuild> {
  const outdir = opts.outdir ?? join(root, 'dist', 'lib');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: join(root, 'src', 'core', 'index.ts'), 'index.node': join(root, 'src', 'core', 'index.node.ts') },
    outdir, bundle: true, splitting: true, format: 'esm', platform: 'neutral', target: 'es2022',
    packages: 'external', external: ['node:*'], chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'error', legalComments: 'none', metafile: true,
  });
  if (opts.types !== false) {
    rmSync(join(root, 'dist', 'types'), { recursive: true, force: true });
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
  }
  const nodeImports: Record<string, string[]> = {};
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    nodeImports[relative(outdir, resolve(process.cwd(), file))] = out.imports.filter((i) => i.path.startsWith('node:')).map((i) => i.path);
  }
  return { packages: externalPackages(result.metafile), nodeImports };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const { packages } = await buildLibrary({ types: !process.argv.includes('--no-types') });
  process.stdout.write(`dist/lib, dist/types (${((performance.now() - started) / 1000).toFixed(1)} s); imports: ${packages.join(' ')}\n`);
}

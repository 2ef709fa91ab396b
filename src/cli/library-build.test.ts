import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLibrary, type LibraryBuild } from './library-build.node';

const repoRoot = join(import.meta.dirname, '..', '..');

describe('the installable library build', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'library-build-'));
  let built: Promise<LibraryBuild> | undefined;
  const once = () => (built ??= buildLibrary({ types: false, outdir: join(tmp, 'lib') }));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('package.json\'s runtime dependencies are exactly the packages the built library imports', { timeout: 60_000 }, async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual((await once()).packages);
  });

  it('the browser entry and the chunks it shares import no node: module; the Node entry does', { timeout: 60_000 }, async () => {
    const { nodeImports } = await once();
    expect(Object.keys(nodeImports)).toContain('index.js');
    for (const [file, imports] of Object.entries(nodeImports)) {
      if (file === 'index.node.js') expect(imports.length).toBeGreaterThan(0);
      else expect(imports, file).toEqual([]);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../test-support/fixtures';
import { manyLayerArchive, writeManyLayerFolder } from '../test-support/many-layers';

/**
 * Open files: the CLI inspects an image of 1000 layers (the most accepted) under `ulimit -n 96`, i.e.
 * Node's own ~26 descriptors plus at most ~70 files: a reader that opens every layer at once fails.
 */
const tmp = mkdtempSync(join(tmpdir(), 'cli-open-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function inspectUnderUlimit(path: string): { status: number | null; stdout: string; stderr: string } {
  const cmd = `ulimit -n 96 && exec "${process.execPath}" --import tsx src/cli/run.node.ts inspect "${path}" --json`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('inspect of 1000 gzip layers holds few files open', () => {
  it('a docker save tar', () => {
    const file = join(tmp, 'many.tar');
    writeFileSync(file, manyLayerArchive(1000, { gzip: true }));
    const r = inspectUnderUlimit(file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { images: { layers: unknown[] }[] }).images[0].layers).toHaveLength(1000);
  }, 150_000);

  it('an OCI layout folder (one file per layer)', () => {
    const dir = join(tmp, 'layout');
    writeManyLayerFolder(dir, 1000, { gzip: true });
    const r = inspectUnderUlimit(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { images: { layers: unknown[] }[] }).images[0].layers).toHaveLength(1000);
  }, 150_000);
});

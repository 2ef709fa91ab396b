import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../test-support/fixtures';
import { manyLayerArchive, writeManyLayerFolder } from '../test-support/many-layers';
import { main } from './main';

/**
 * OCI layout folders read by the CLI: only regular files inside the folder are read; links out of it
 * are refused, a FIFO is refused without being opened, and no error quotes a file's contents.
 */
const tmp = mkdtempSync(join(tmpdir(), 'cli-layout-folder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SECRET = 'TOP-SECRET-do-not-print';

async function inspect(path: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => { f(s); return true; } });
  const code = await main(['inspect', path, '--json'], sink((s) => { out += s; }), sink((s) => { err += s; }));
  return { code, out, err };
}

/** A fresh one-layer layout folder; returns it and the path of its layer blob. */
function layout(name: string): { dir: string; layer: string } {
  const dir = join(tmp, name);
  writeManyLayerFolder(dir, 1);
  const blobs = join(dir, 'blobs', 'sha256');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0].digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
  return { dir, layer: join(blobs, manifest.layers[0].digest.slice(7)) };
}

describe('inspect DIR: an OCI layout folder', () => {
  it('reads a plain layout (the baseline the cases below break)', async () => {
    const r = await inspect(layout('plain').dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('a layer blob that is a symlink to a file outside the folder is refused, not read', async () => {
    const { dir, layer } = layout('layer-link-out');
    const outside = join(tmp, 'outside-layer.tar');
    renameSync(layer, outside); // the same bytes, so only where they live is wrong
    symlinkSync(outside, layer);
    const r = await inspect(dir);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/\[unsafe-path\].*outside/);
  });

  it('a symlinked directory leading out is refused too (blobs -> elsewhere)', async () => {
    const { dir } = layout('dir-link-out');
    const elsewhere = join(tmp, 'elsewhere-blobs');
    renameSync(join(dir, 'blobs'), elsewhere);
    symlinkSync(elsewhere, join(dir, 'blobs'));
    const r = await inspect(dir);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/\[unsafe-path\]/);
  });

  it('a link inside the folder to a file inside it is followed', async () => {
    const { dir, layer } = layout('link-inside');
    const copy = join(dir, 'layer-copy');
    renameSync(layer, copy);
    symlinkSync('../../layer-copy', layer);
    const r = await inspect(dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('index.json linked to an outside file: refused, and the file’s contents are never printed', async () => {
    const { dir } = layout('index-link-out');
    const outside = join(tmp, 'secret.txt');
    writeFileSync(outside, `${SECRET}\n`.repeat(10));
    rmSync(join(dir, 'index.json'));
    symlinkSync(outside, join(dir, 'index.json'));
    const r = await inspect(dir);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/\[unsafe-path\]/);
    expect(r.err + r.out).not.toContain('SECRET');
  });

  it('an index.json that is not JSON: the error says where, not what the file holds', async () => {
    const { dir } = layout('index-not-json');
    writeFileSync(join(dir, 'index.json'), `${SECRET}\n`);
    const r = await inspect(dir);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/\[archive-invalid\].*"index\.json" is not valid JSON/);
    expect(r.err).not.toContain('SECRET');
    expect(r.err).not.toContain('TOP');
  });

  /** inspect in a child under a timeout: a read of a FIFO blocks a thread for good */
  function inspectInChild(dir: string): { signal: NodeJS.Signals | null; status: number | null; stderr: string; ms: number } {
    const t = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.node.ts', 'inspect', dir], { cwd: repoRoot, encoding: 'utf8', timeout: 15_000 });
    return { signal: r.signal, status: r.status, stderr: r.stderr, ms: Date.now() - t };
  }

  it.each(['index.json', 'the layer blob'])('a FIFO in place of %s is refused without being opened (reading it would block forever)', (which) => {
    const { dir, layer } = layout(`fifo-${which.replace(/\W+/g, '-')}`);
    const path = which === 'index.json' ? join(dir, 'index.json') : layer;
    rmSync(path);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const r = inspectInChild(dir);
    expect(r.signal, `inspect still running after ${r.ms} ms: it hangs on the FIFO`).toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/\[archive-invalid\].*FIFO/);
  }, 25_000);
});

describe('a docker save tar whose manifest.json is not JSON', () => {
  it('the error does not quote the file', async () => {
    const tar = manyLayerArchive(1);
    // overwrite manifest.json's body (the first member, after its 512-byte header) with other text
    const body = new TextEncoder().encode(SECRET.padEnd(20, ' '));
    tar.set(body, 512);
    const file = join(tmp, 'bad-manifest.tar');
    writeFileSync(file, tar);
    const r = await inspect(file);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/"manifest\.json" is not valid JSON/);
    expect(r.err).not.toContain('SECRET');
  });
});

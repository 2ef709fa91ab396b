/**
 * The bench's quick mode without the browser: the generator (deterministic, cached, GNU tar extracts
 * layer members byte-identical to the files the peer lists), the GNU tar peer, the table and exit code,
 * and the trace summary. The full bench (`npm run bench`) is not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateArchive, type GeneratedArchive } from '../../bench/generate';
import { listWithGnuTar } from '../../bench/peer-tar';
import { planArchive, QUICK_SPEC } from '../../bench/plan';
import { summarizeTrace } from '../../bench/profile';
import { exitCodeOf, formatTable, runRows, type BenchRow } from '../../bench/table';
import { readImageArchive } from '../../src/core/archive';

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('bench quick mode', () => {
  let dir: string;
  let g: GeneratedArchive;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
    g = await generateArchive(QUICK_SPEC, join(dir, 'a'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a ~50 MB docker-save with ~5k entries and a realistic spread', () => {
    expect(g.archiveBytes).toBeGreaterThan(40e6);
    expect(g.archiveBytes).toBeLessThan(60e6);
    const entries = g.layerEntries.reduce((a, b) => a + b, 0);
    expect(entries).toBeGreaterThan(4_500);
    expect(entries).toBeLessThan(5_500);
    const files = planArchive(QUICK_SPEC).flat().filter((e) => e.type === 'file');
    expect(files.filter((f) => f.size < 64 * 1024).length / files.length).toBeGreaterThan(0.9);
    expect(files.filter((f) => f.size > 1 << 20).length).toBeGreaterThanOrEqual(5);
    expect(planArchive(QUICK_SPEC).flat().some((e) => e.name.includes('/.wh.'))).toBe(true);
  });

  it('is deterministic and cached', async () => {
    const again = await generateArchive(QUICK_SPEC, join(dir, 'b'));
    expect(sha256File(again.archive)).toBe(sha256File(g.archive));
    const mtime = statSync(g.archive).mtimeMs;
    const cached = await generateArchive(QUICK_SPEC, join(dir, 'a'));
    expect(cached).toEqual(g);
    expect(statSync(g.archive).mtimeMs).toBe(mtime);
  }, 60_000);

  it('holds, byte for byte, the layer files the peer lists (GNU tar extracts them; our reader agrees)', async () => {
    const out = join(dir, 'x');
    execFileSync('mkdir', ['-p', out]);
    execFileSync('tar', ['-xf', g.archive, '-C', out]);
    for (const [i, d] of g.diffIds.entries()) {
      const member = join(out, 'blobs', 'sha256', d.slice(7));
      expect(sha256File(member)).toBe(d.slice(7));
      expect(sha256File(g.layerFiles[i])).toBe(d.slice(7));
    }
    const archive = await readImageArchive(await openAsBlob(g.archive));
    expect(archive.images).toHaveLength(1);
    expect((await archive.images[0].image.config()).rootfs.diff_ids).toEqual(g.diffIds);
  });

  it('runs the GNU tar peer: every planned entry listed, a time and a peak memory', async () => {
    const entries = g.layerEntries.reduce((a, b) => a + b, 0);
    const t = await listWithGnuTar(g.layerFiles, entries);
    expect(t.lines).toBe(entries);
    expect(t.runs).toHaveLength(2);
    expect(t.seconds).toBe(Math.min(...t.runs));
    expect(t.seconds).toBeGreaterThan(0);
    expect(t.peakBytes).toBeGreaterThan(100_000);
    await expect(listWithGnuTar(g.layerFiles, entries + 1)).rejects.toThrow(/tar listed 5\d+ entries, the generator wrote/);
  });
});

describe('bench table', () => {
  const row = (name: string, pass: boolean | 'throw'): BenchRow => ({
    name, target: '≤ 3× tar',
    run: async () => {
      if (pass === 'throw') throw new Error('tar: not found');
      return { ours: '1.00 s', peer: '0.50 s', ratio: 2, pass, notes: pass ? '' : 'slow here' };
    },
  });

  it('prints PASS, MISS and FAIL rows; exits 1 only when a row or its peer did not run', async () => {
    const ran = await runRows([row('a', true), row('b', false)]);
    const text = formatTable(ran);
    expect(text).toMatch(/^measure\s+ours\s+peer\s+ratio\s+target\s+result$/m);
    expect(text).toMatch(/^a\s+1\.00 s\s+0\.50 s\s+2\.00×\s+≤ 3× tar\s+PASS$/m);
    expect(text).toMatch(/^b\s+.*MISS$/m);
    expect(text).toContain('b: slow here');
    expect(exitCodeOf(ran)).toBe(0);
    const failed = await runRows([row('a', true), row('c', 'throw')]);
    expect(formatTable(failed)).toMatch(/^c\s+-\s+-\s+-\s+≤ 3× tar\s+FAIL$/m);
    expect(formatTable(failed)).toContain('c: FAILED: tar: not found');
    expect(exitCodeOf(failed)).toBe(1);
  });

  it('summarises V8 ProfileChunk trace events by self time', () => {
    const frame = (functionName: string) => ({ functionName, url: 'http://127.0.0.1/assets/w.js', lineNumber: 9, columnNumber: 0 });
    const hot = summarizeTrace([
      { name: 'ProfileChunk', id: '0x1', pid: 1, tid: 2, args: { data: { cpuProfile: { nodes: [{ id: 1, callFrame: frame('(root)') }, { id: 2, callFrame: frame('walkTar'), parent: 1 }, { id: 3, callFrame: frame('(idle)') }], samples: [2, 2, 3] }, timeDeltas: [1000, 2000, 5000] } } },
      { name: 'ProfileChunk', id: '0x1', pid: 1, tid: 2, args: { data: { cpuProfile: { samples: [1] }, timeDeltas: [500] } } },
      { name: 'Other', pid: 1, tid: 2 },
    ]);
    expect(hot[0]).toMatchObject({ name: 'walkTar w.js:10', selfMs: 3 });
    expect(hot[1]).toMatchObject({ name: '(root) w.js:10', selfMs: 0.5 });
    expect(hot).toHaveLength(2);
  });
});

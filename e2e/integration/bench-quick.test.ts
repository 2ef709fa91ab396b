/**
 * The bench's quick mode without the browser: the generator (deterministic, cached, GNU tar extracts
 * layer members byte-identical to the files the peer lists), the GNU tar peer, the table and exit code,
 * and the trace summary; the assembly row's corpus (planned spread, how its contents compress, deterministic
 * and cached, link order) and the row itself on the quick corpus, its native peer doing the same work (same
 * files, same bytes). The full bench (`npm run bench`) is not part of `npm test`.
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
import { machineHeader, readLoadAverage, waitForQuiet } from '../../bench/machine';
import { assembleNatively } from '../../bench/peer-assembly';
import { assembleWithCli, assemblyRows, checkAssembledArchive, prepareAssembly } from '../../bench/rows/assembly';
import { sharingRows } from '../../bench/rows/sharing';
import { readImageArchive } from '../../src/core/archive';
import { orderForLink } from '../../src/core/plan';
import { indexTar } from '../../src/core/tar';
import { buildCorpus, contentBytes, corpusPlan, type Content, type CorpusPackageSpec } from '../conda-builder/corpus';

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
  const sec = (v: number) => `${v.toFixed(2)} s`;
  /** a row whose run i gives ours[i] against peer[i]; verdict ≤ 3× the peer */
  const row = (name: string, ours: number[] | 'throw', peer: number[] = [0.5, 0.5, 0.5], extra: Partial<BenchRow> = {}): BenchRow => ({
    name, target: '≤ 3× tar', format: sec, pass: (o, p) => o / p! <= 3,
    run: async (i) => {
      if (ours === 'throw') throw new Error('tar: not found');
      return { ours: ours[i], peer: peer[i], notes: `run ${i}` };
    },
    ...extra,
  });

  it('prints PASS, MISS and FAIL rows; exits 1 only when a row or its peer did not run', async () => {
    const ran = await runRows([row('a', [1, 1, 1]), row('b', [2, 2, 2])]);
    const text = formatTable(ran);
    expect(text).toMatch(/^measure\s+ours median \[min–max\]\s+peer median \[min–max\]\s+ratio\s+target\s+result\s+runs\s+load at start$/m);
    expect(text).toMatch(/^a\s+1\.00 s \[1\.00 s–1\.00 s\]\s+0\.50 s \[0\.50 s–0\.50 s\]\s+2\.00×\s+≤ 3× tar\s+PASS\s+3\s+-$/m);
    expect(text).toMatch(/^b\s+.*4\.00×\s+≤ 3× tar\s+MISS\s+3/m);
    expect(text).toContain('b: run 0');
    expect(exitCodeOf(ran)).toBe(0);
    const failed = await runRows([row('a', [1, 1, 1]), row('c', 'throw')]);
    expect(formatTable(failed)).toMatch(/^c\s+-\s+-\s+-\s+≤ 3× tar\s+FAIL/m);
    expect(formatTable(failed)).toContain('c: FAILED: tar: not found');
    expect(exitCodeOf(failed)).toBe(1);
  });

  it('runs each row N times and judges the median, printing min/median/max of ours and the peer', async () => {
    // one slow run out of three: the median passes where the worst run alone would miss
    const [r] = await runRows([row('a', [1.4, 2.6, 1.0], [0.4, 0.6, 0.5])]);
    expect(r.result!.ours).toMatchObject({ min: 1.0, median: 1.4, max: 2.6 });
    expect(r.result!.peer).toMatchObject({ min: 0.4, median: 0.5, max: 0.6 });
    expect(r.result!.ratio).toBeCloseTo(2.8);
    expect(r.result!.pass).toBe(true);
    expect(r.result!.notes).toBe('run 0'); // the median run's notes
    expect(formatTable([r])).toMatch(/^a\s+1\.40 s \[1\.00 s–2\.60 s\]\s+0\.50 s \[0\.40 s–0\.60 s\]\s+2\.80×/m);
    const [slow] = await runRows([row('a', [1, 2, 2], [0.5, 0.5, 0.5])]);
    expect(slow.result!.pass).toBe(false);
    // five runs; an even count takes the mean of the middle two
    const five = await runRows([row('a', [5, 1, 4, 2, 3], [1, 1, 1, 1, 1])], { runs: 5 });
    expect(five[0].result!.ours).toMatchObject({ min: 1, median: 3, max: 5 });
    expect(five[0].result!.ours.values).toHaveLength(5);
    const four = await runRows([row('a', [4, 1, 3, 2], [1, 1, 1, 1])], { runs: 4 });
    expect(four[0].result!.ours.median).toBe(2.5);
  });

  it('measures a deterministic row once, and profiles only a row that missed', async () => {
    let calls = 0;
    const once = row('d', [0.97, 0.5, 0.5], [], { deterministic: true, run: async () => { calls++; return { ours: 0.97 }; }, pass: (o) => o >= 0.95, ratio: (o) => o });
    const profiled: string[] = [];
    const profile = (name: string) => async () => { profiled.push(name); return `hot in ${name}`; };
    const out = await runRows([once, row('p', [1, 1, 1], undefined, { profile: profile('p') }), row('m', [9, 9, 9], undefined, { profile: profile('m') })]);
    expect(calls).toBe(1);
    expect(out[0].result).toMatchObject({ pass: true, ratio: 0.97, peer: undefined });
    expect(formatTable(out)).toMatch(/^d\s+0\.97 s\s+-\s+0\.97×/m);
    expect(profiled).toEqual(['m']);
    expect(out[2].result!.notes).toBe('run 0\nhot in m');
    await runRows([row('p', [1, 1, 1], undefined, { profile: profile('p') })], { profile: 'always' });
    await runRows([row('m', [9, 9, 9], undefined, { profile: profile('m') })], { profile: false });
    expect(profiled).toEqual(['m', 'p']);
  });

  it('prints a floor row beside the row it bounds, with no ratio, target or verdict', async () => {
    const floor = row('  floor: raw read', [0.3, 0.2, 0.4], [], { floor: true, target: '-', pass: () => true, run: async (i) => ({ ours: [0.3, 0.2, 0.4][i] }) });
    const text = formatTable(await runRows([row('a', [1, 1, 1]), floor]));
    expect(text).toMatch(/^a\s.*PASS/m);
    expect(text).toMatch(/^ {2}floor: raw read\s+0\.30 s \[0\.20 s–0\.40 s\]\s+-\s+-\s+-\s+floor\s+3\s+-$/m);
    expect(text.indexOf('floor: raw read')).toBeGreaterThan(text.indexOf('\na '));
  });

  it('waits for the load average to fall under 1.0 before each row, or gives up after the limit and says so', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => { t += ms; } };
    const loads = [3.2, 1.6, 0.7, 0.2];
    const quiet = await waitForQuiet({ ...clock, read: () => loads.shift()! });
    expect(quiet).toEqual({ load: 0.7, waitedMs: 10_000, timedOut: false });
    t = 0;
    const busy = await waitForQuiet({ ...clock, read: () => 4.5, maxMs: 90_000 });
    expect(busy).toEqual({ load: 4.5, waitedMs: 90_000, timedOut: true });
    expect(await waitForQuiet({ ...clock, read: () => 0.3 })).toMatchObject({ waitedMs: 0, timedOut: false });
    expect(readLoadAverage()).toBeGreaterThanOrEqual(0);
    // the runner waits before each row (after its untimed preparation), logs and prints the load it started at
    const order: string[] = [];
    const readings = [{ load: 0.42, waitedMs: 0, timedOut: false }, { load: 2.5, waitedMs: 90_000, timedOut: true }];
    const lines: string[] = [];
    const out = await runRows([
      row('a', [1, 1, 1], undefined, { prepare: async () => { order.push('prepare a'); } }),
      row('b', [1, 1, 1]),
      // reads row a's runs: no wait of its own, a's load printed
      row('a2', [1, 1, 1], undefined, { sharesRunsWith: 'a' }),
    ], { quiet: async () => { order.push('wait'); return readings.shift()!; }, log: (l) => lines.push(l) });
    expect(order).toEqual(['prepare a', 'wait', 'wait']);
    expect(formatTable(out)).toMatch(/^a2\s.*PASS\s+3\s+0\.42$/m);
    expect(formatTable(out)).toMatch(/^a\s.*PASS\s+3\s+0\.42$/m);
    expect(formatTable(out)).toMatch(/^b\s.*PASS\s+3\s+2\.50 \(gave up waiting\)$/m);
    expect(lines).toContain('[a] load 0.42 at start');
    expect(lines).toContain('[b] load 2.50: not under 1.0 after 90 s, started anyway');
  });

  it('prints the machine: Node, Chromium, skopeo and GNU tar versions, cores and memory', () => {
    const h = machineHeader();
    expect(h).toContain(`Node ${process.version}`);
    expect(h).toMatch(/Chromium \d+\./);
    expect(h).toMatch(/skopeo version \d+\./);
    expect(h).toMatch(/tar \(GNU tar\) \d+\./);
    expect(h).toMatch(/\d+ cores .*; \d+\.\d GiB memory$/);
  });

  it('summarises V8 ProfileChunk trace events by self time, and each thread\'s busy time', () => {
    const frame = (functionName: string) => ({ functionName, url: 'http://127.0.0.1/assets/w.js', lineNumber: 9, columnNumber: 0 });
    const hashFrame = { functionName: 'update', url: 'http://127.0.0.1/assets/hash.worker-DoPM8iRl.js', lineNumber: 5, columnNumber: 0 };
    const { hot, threads } = summarizeTrace([
      { name: 'ProfileChunk', id: '0x1', pid: 1, tid: 2, args: { data: { cpuProfile: { nodes: [{ id: 1, callFrame: frame('(root)') }, { id: 2, callFrame: frame('walkTar'), parent: 1 }, { id: 3, callFrame: frame('(idle)') }], samples: [2, 2, 3] }, timeDeltas: [1000, 2000, 5000] } } },
      { name: 'ProfileChunk', id: '0x1', pid: 1, tid: 2, args: { data: { cpuProfile: { samples: [1] }, timeDeltas: [500] } } },
      { name: 'ProfileChunk', id: '0x2', pid: 1, tid: 3, args: { data: { cpuProfile: { nodes: [{ id: 1, callFrame: hashFrame }] , samples: [1, 1] }, timeDeltas: [4000, 4000] } } },
      { name: 'Other', pid: 1, tid: 2 },
    ]);
    expect(hot[0]).toMatchObject({ name: 'update hash.worker-DoPM8iRl.js:6', selfMs: 8 });
    expect(hot[1]).toMatchObject({ name: 'walkTar w.js:10', selfMs: 3 });
    expect(hot[2]).toMatchObject({ name: '(root) w.js:10', selfMs: 0.5 });
    expect(hot).toHaveLength(3);
    // per thread (profile), busiest first, named by the script it ran most (its build hash dropped)
    expect(threads).toEqual([{ busyMs: 8, script: 'hash.worker.js' }, { busyMs: 3.5, script: 'w.js' }]);
  });
});

describe('bench assembly row, quick mode', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-assembly-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('plans a ~300 MiB corpus of ~50 packages with a realistic spread', () => {
    const plan = corpusPlan(1);
    const size = (p: CorpusPackageSpec) => p.files.reduce((a, f) => a + (f.content?.size ?? 0), 0);
    const total = plan.reduce((a, p) => a + size(p), 0);
    expect(plan.length).toBeGreaterThanOrEqual(45);
    expect(plan.length).toBeLessThanOrEqual(60);
    expect(total / 2 ** 20).toBeGreaterThan(260);
    expect(total / 2 ** 20).toBeLessThan(340);
    const mkl = plan.find((p) => p.name === 'mkl')!;
    expect(size(mkl) / 2 ** 20).toBeGreaterThan(60);
    expect(size(mkl) / 2 ** 20).toBeLessThan(80);
    expect(plan.find((p) => p.name === 'python')!.files.length).toBeGreaterThan(2000);
    expect(plan.filter((p) => size(p) < 2 ** 20).length).toBeGreaterThan(20);
    const files = plan.flatMap((p) => p.files);
    expect(files.some((f) => f.content?.kind === 'text' && f.content.shebang)).toBe(true);
    expect(files.some((f) => f.content?.kind === 'elf' && f.content.placeholders)).toBe(true);
    expect(files.some((f) => f.link)).toBe(true);
    expect(plan.some((p) => p.noarch === 'python' && p.entryPoints?.length)).toBe(true);
  });

  it('has contents that compress like real ones under zstd', () => {
    const ratio = (c: Content) => {
      const b = contentBytes(c);
      return b.byteLength / execFileSync('zstd', ['-q', '-c', '-10', '--no-check'], { input: b, maxBuffer: 1 << 26 }).byteLength;
    };
    expect(ratio({ kind: 'text', size: 1 << 20 })).toBeGreaterThan(2.5);
    expect(ratio({ kind: 'text', size: 1 << 20 })).toBeLessThan(6);
    expect(ratio({ kind: 'elf', size: 2 << 20 })).toBeGreaterThan(1.8);
    expect(ratio({ kind: 'elf', size: 2 << 20 })).toBeLessThan(4);
    expect(ratio({ kind: 'noise', size: 1 << 20 })).toBeLessThan(1.01);
  });

  it('writes the quick corpus deterministically, cached by the generator digest, in link order by depends', async () => {
    const a = await buildCorpus({ quick: true, dir: join(tmp, 'a') });
    const b = await buildCorpus({ quick: true, dir: join(tmp, 'b') });
    expect(a.generatedSeconds).toBeDefined();
    expect(b.packages.map((p) => p.sha256)).toEqual(a.packages.map((p) => p.sha256));
    for (const p of a.packages.slice(0, 5)) expect(sha256File(a.path(p))).toBe(p.sha256);
    const again = await buildCorpus({ quick: true, dir: join(tmp, 'a') });
    expect(again.generatedSeconds).toBeUndefined();
    expect(again.packages).toEqual(a.packages);
    const order = orderForLink(a.records('https://x.invalid/c')).map((r) => r.name);
    for (const [dep, pkg] of [['libgcc-ng', 'openssl'], ['ca-certificates', 'openssl'], ['python', 'numpy'], ['mkl', 'numpy'], ['numpy', 'scipy'], ['python', 'pip']]) {
      expect(order.indexOf(dep)).toBeLessThan(order.indexOf(pkg));
    }
  }, 60_000);

  it('does the same work on both sides: the native layers hold the files ours do, with the same bytes', async () => {
    const s = await prepareAssembly({ quick: true, dir: join(tmp, 'work') });
    const ours = join(s.dir, 'ours.tar');
    await assembleWithCli(s, ours);
    expect((await checkAssembledArchive(ours, s.corpus.packages.length)).layers).toBe(s.corpus.packages.length + 1);
    const [native] = await assembleNatively(s.corpus, s.order.map((r) => r.fn), s.dir, { parallel: 2, runs: 1, keep: true });
    expect(native.layers).toBe(s.corpus.packages.length);
    const filesOf = async (tar: Blob) => (await indexTar(tar)).entries.filter((e) => e.type === 'file' || e.type === 'symlink');
    // ours: every package layer (not the last, conda-meta/history one), less conda-meta records and entry points
    const entryPoints = new Set(corpusPlan(0.03).flatMap((p) => p.entryPoints ?? []).map((e) => `opt/conda/bin/${e.split('=')[0].trim()}`));
    const image = (await readImageArchive(await openAsBlob(ours))).images[0].image;
    const layers = await image.layers();
    let ourFiles = 0;
    let ourBytes = 0;
    for (const layer of layers.slice(0, -1)) {
      for (const e of await filesOf(await new Response(layer.uncompressed()).blob())) {
        if (e.name.includes('/conda-meta/') || entryPoints.has(e.name)) continue;
        ourFiles++;
        ourBytes += e.size;
      }
    }
    let nativeFiles = 0;
    let nativeBytes = 0;
    for (let i = 0; i < native.layers; i++) {
      for (const e of await filesOf(await openAsBlob(join(native.blobs, `${i}.tar`)))) { nativeFiles++; nativeBytes += e.size; }
    }
    expect(ourFiles).toBe(s.corpus.files);
    expect(nativeFiles).toBe(s.corpus.files);
    // text relocation shortens files on both sides alike; binary relocation keeps lengths
    expect(ourBytes).toBe(nativeBytes);
    expect(ourBytes).toBeLessThan(s.corpus.payloadBytes);
  }, 120_000);

  it('runs the row against its peer and reports MiB/s', async () => {
    const [row] = assemblyRows({ quick: true, dir: join(tmp, 'row') });
    await row.prepare!();
    const r = await row.run(0);
    expect(r.ours).toBeGreaterThan(0);
    expect(r.peer).toBeGreaterThan(0);
    expect(row.format(r.ours)).toMatch(/^\d+\.\d\d s$/);
    expect(r.notes).toMatch(/corpus: 50 packages.*ours \d+ MiB\/s/);
  }, 120_000);
});

describe('bench sharing row, quick mode', () => {
  it('builds the quick corpus twice, one leaf apart, and counts the shared layer bytes', async () => {
    const [row] = sharingRows({ quick: true, log: () => {} });
    expect(row.deterministic).toBe(true);
    const r = await row.run(0);
    expect(row.format(r.ours)).toMatch(/^\d+\.\d %$/);
    expect(r.ours).toBeGreaterThan(0.5);
    expect(r.ours).toBeLessThan(1); // the two leaves' own layers and the metadata layer differ
    expect(r.notes).toMatch(/one with \S+, the other with \S+/);
  }, 120_000);
});

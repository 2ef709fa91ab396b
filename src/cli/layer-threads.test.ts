/**
 * Layer jobs: the in-memory path (payload decoded into one buffer, tar made in one buffer) gives the same
 * layer as the streaming path, on this thread and in the Node worker pool; errors keep their codes across
 * threads; a layer read twice is built again with the same bytes; an idle pool lets the process exit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openAsBlob, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../test-support/fixtures';
import { CoreError } from '../core/errors';
import { layersFromJobs, runLayerJob, type LayerJob, type LayerJobResult, type LayerTar } from '../core/pipeline/layer-job';
import { nodeLayerRunner } from '../core/pipeline/layer-thread-pool.node.js';
// how a thread runs layer-thread-entry.node.ts from these sources (through tsx) is the CLI's to know
import { startLayerThread } from './layer-threads.node.js';
import { serveLayerJobs, workerLayerRunner, type PoolWorker } from '../core/pipeline/layer-pool-protocol';
import { openFileBlob } from '../core/cache/file-blob.node.js';
import { PLACEHOLDER, writePackage } from '../../e2e/conda-builder/package';

const PKGS = [
  'conda-package-handling/tests/data/mock-2.0.0-py37_1000.conda',
  'conda-package-handling/tests/data/mock-2.0.0-py37_1000.tar.bz2',
  'conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  'conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2',
  'quetz/plugins/quetz_harvester/tests/data/xtensor-io-0.10.3-hb585cf6_0.tar.bz2',
  'conda/history/tests/data/legacy_repodata/noarch/moto-1.3.7-py_0.tar.bz2',
  'rattler/test-data/link-scripts/link-scripts-0.1.0-h4616a5c_0.conda',
];
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const bytesOf = async (t: LayerTar) => (t instanceof Uint8Array ? t : new Uint8Array(await new Blob(t instanceof Blob ? [t] : t as BlobPart[]).arrayBuffer()));
const job = async (rels: string[], blob = (p: string) => openFileBlob(p)): Promise<LayerJob> => ({
  prefix: '/opt/conda', epoch: 0, pythonVersion: '3.9',
  packages: await Promise.all(rels.map(async (rel) => ({ fn: rel.split('/').pop()!, blob: await blob(fixture(rel)),
    origin: { url: `https://conda.anaconda.org/x/${rel.split('/').pop()}`, channel: 'https://conda.anaconda.org/x' } }))),
});
async function same(a: LayerJobResult, b: LayerJobResult): Promise<void> {
  expect(a.digest).toBe(b.digest);
  expect(a.size).toBe(b.size);
  const [x, y] = [await bytesOf(a.tar), await bytesOf(b.tar)];
  expect(x.byteLength).toBe(a.size);
  expect(sha(x)).toBe(a.digest);
  expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  expect(a.packages).toEqual(b.packages);
}

describe.skipIf(!haveFixtures)('layer jobs', () => {
  it('in memory and streaming give the same layer, one package at a time and all in one layer', async () => {
    for (const rels of [...PKGS.map((p) => [p]), PKGS.filter((p) => !p.includes('mock-2.0.0-py37_1000.tar.bz2'))]) {
      const j = await job(rels);
      const mem = await runLayerJob(j);
      expect(mem.tar).toBeInstanceOf(Uint8Array);
      const streamed = await runLayerJob(j, { maxInMemory: 0 });
      expect(streamed.tar).toBeInstanceOf(Blob);
      await same(mem, streamed);
    }
  });

  it('the worker pool builds the same layers (packages by path or by bytes), in memory or spilled', async () => {
    const pool = nodeLayerRunner({ size: 2, startThread: startLayerThread });
    const spilling = nodeLayerRunner({ size: 1, maxInMemory: 0, startThread: startLayerThread });
    const jobs = await Promise.all(PKGS.map((p) => job([p])));
    const local = await Promise.all(jobs.map((j) => runLayerJob(j)));
    const pooled = await Promise.all(jobs.map((j) => pool(j)));
    const spilled = await Promise.all(jobs.map((j) => spilling(j)));
    for (const [i, r] of local.entries()) {
      await same(pooled[i], r);
      expect(pooled[i].tar).toBeInstanceOf(Uint8Array);
      await same(spilled[i], r);
      expect(spilled[i].tar).toBeInstanceOf(Blob);
    }
    // an in-memory Blob (no file behind it) goes over as bytes
    const inMemory = await job([PKGS[2]], async (p) => new Blob([new Uint8Array(await (await openAsBlob(p)).arrayBuffer())]));
    await same(await pool(inMemory), local[2]);
  });

  it('a corrupt package fails its job with the core error code, on this thread and in a worker', async () => {
    const bad = await job(['conda-index/tests/index_data/corrupt/noarch/bad_package.tar.bz2']);
    const pool = nodeLayerRunner({ size: 1, startThread: startLayerThread });
    const here = await runLayerJob(bad).catch((e: unknown) => e);
    const there = await pool(bad).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(CoreError);
    expect(there).toBeInstanceOf(CoreError);
    expect((there as CoreError).code).toBe((here as CoreError).code);
    expect((there as Error).message).toBe((here as Error).message);
    // the pool still works after a failed job
    await same(await pool(await job([PKGS[2]])), await runLayerJob(await job([PKGS[2]])));
  });

  it('a pool drops its queued jobs when the signal aborts', async () => {
    const pool = nodeLayerRunner({ size: 1, startThread: startLayerThread });
    const ac = new AbortController();
    const jobs = await Promise.all(PKGS.slice(0, 3).map((p) => job([p])));
    const all = Promise.allSettled(jobs.map((j) => pool(j, ac.signal)));
    await new Promise((r) => setTimeout(r, 30)); // the first job is with the worker by now
    ac.abort(new Error('cancelled'));
    const out = await all;
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    // and the pool serves the next build
    await same(await pool(jobs[2]), await runLayerJob(jobs[2]));
  });

  it('a layer is given out once and built again when read again; past the budget results are spilled', async () => {
    const jobs = await Promise.all(PKGS.slice(2, 5).map((p) => job([p])));
    let runs = 0;
    const counting = (j: LayerJob) => { runs++; return runLayerJob(j); };
    const { layers, results } = layersFromJobs(jobs, counting);
    const all = await results;
    expect(runs).toBe(3);
    const read = async (i: number) => new Uint8Array(await new Response(layers[i].uncompressed()).arrayBuffer());
    const first = await read(1);
    expect(sha(first)).toBe(all[1].digest);
    expect(await layers[1].diffId()).toBe(all[1].digest);
    expect(sha(await read(1))).toBe(all[1].digest);
    expect(runs).toBe(4);
    let spills = 0;
    const spilled = layersFromJobs(jobs, (j) => runLayerJob(j), { budget: 0, spill: async (s) => { spills++; return new Response(s).blob(); } });
    await spilled.results;
    expect(spills).toBe(3);
    expect(sha(new Uint8Array(await new Response(spilled.layers[0].uncompressed()).arrayBuffer()))).toBe(all[0].digest);
  });

  it('an idle pool does not keep the process alive', () => {
    const script = [
      `import { nodeLayerRunner } from ${JSON.stringify(join(__dirname, '..', 'core', 'pipeline', 'layer-thread-pool.node.ts'))};`,
      `import { startLayerThread } from ${JSON.stringify(join(__dirname, 'layer-threads.node.ts'))};`,
      `import { openFileBlob } from ${JSON.stringify(join(__dirname, '..', 'core', 'cache', 'file-blob.node.ts'))};`,
      'const run = nodeLayerRunner({ size: 2, startThread: startLayerThread });',
      `const blob = await openFileBlob(${JSON.stringify(fixture(PKGS[2]))});`,
      "const r = await run({ prefix: '/opt/conda', epoch: 0, packages: [{ fn: 'zlib-1.2.11-h7b6447c_3.conda', blob }] });",
      'console.log(r.digest);',
    ].join('\n');
    const t0 = Date.now();
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(out.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

describe('a layer whose payload is past the buffers a thread reuses', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layer-job-pieces-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('comes as pieces (its big bodies views of the payload, relocated in place) with the bytes of one buffer, on this thread and through the pool', async () => {
    const big = new Uint8Array(17 * 1024 * 1024).map((_, i) => ((i * 2654435761) >>> 29) + (i % 4093 === 0 ? 1 : 0));
    const relocated = new TextEncoder().encode(`${'\x7fELF'.padEnd(70_000, '.')}\0${PLACEHOLDER}/lib\0${'x'.repeat(70_000)}`);
    const [fn] = await writePackage(tmp, { name: 'big', version: '1', build: '0', subdir: 'linux-64', zstdLevel: 1, files: [
      { path: 'lib/big.bin', content: big },
      { path: 'lib/relocated.so', content: relocated, placeholder: 'binary' },
      { path: 'share/small.txt', content: 'hello\n' },
    ] });
    const j: LayerJob = { prefix: '/opt/conda', epoch: 0, packages: [{ fn, blob: await openFileBlob(join(tmp, 'linux-64', fn)) }] };
    const one = await runLayerJob(j);
    expect(one.tar).toBeInstanceOf(Uint8Array);
    const pieces = await runLayerJob(j, { pieces: true });
    const viewed = (pieces.tar as Uint8Array[]).filter((p) => p.buffer.byteLength > 16 * 1024 * 1024);
    expect(viewed.map((p) => p.byteLength)).toEqual([big.byteLength, relocated.byteLength]);
    await same(pieces, one);
    const tar = new TextDecoder('latin1').decode(await bytesOf(one.tar));
    expect(tar).toContain('\0/opt/conda/lib\0');
    expect(tar).not.toContain(`${PLACEHOLDER}/lib`); // (conda-meta still names the placeholder)
    const pool = nodeLayerRunner({ size: 1, startThread: startLayerThread });
    const pooled = await pool(j);
    expect(Array.isArray(pooled.tar)).toBe(true);
    await same(pooled, one);
  });
});

describe('oneAtATime', () => {
  it('runs at most n jobs at once, in start order, and keeps going after a failure', async () => {
    const { oneAtATime } = await import('../core/pipeline/layer-job');
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const slow = async (job: LayerJob) => {
      running++;
      most = Math.max(most, running);
      order.push(job.epoch);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (job.epoch === 2) throw new Error('job 2 fails');
      return { digest: 'sha256:0', size: job.epoch, tar: new Uint8Array(0), packages: [] } as unknown as LayerJobResult;
    };
    const limited = oneAtATime(slow, 2);
    const jobs = [0, 1, 2, 3, 4, 5].map((epoch) => ({ prefix: '/opt/conda', epoch, packages: [] }));
    const out = await Promise.allSettled(jobs.map((j) => limited(j)));
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('drops the jobs still waiting when the signal aborts; the running one finishes', async () => {
    const { oneAtATime } = await import('../core/pipeline/layer-job');
    const ran: number[] = [];
    const slow = async (job: LayerJob) => {
      ran.push(job.epoch);
      await new Promise((r) => setTimeout(r, 20));
      return { digest: 'sha256:0', size: 0, tar: new Uint8Array(0), packages: [] } as unknown as LayerJobResult;
    };
    const ac = new AbortController();
    const limited = oneAtATime(slow, 1);
    const all = Promise.allSettled([0, 1, 2].map((epoch) => limited({ prefix: '/opt/conda', epoch, packages: [] }, ac.signal)));
    await new Promise((r) => setTimeout(r, 5));
    ac.abort(new Error('cancelled by the user'));
    const out = await all;
    expect(ran).toEqual([0]);
    expect(out[0].status).toBe('fulfilled');
    expect(out.slice(1).map((o) => (o as PromiseRejectedResult).reason.message)).toEqual(['cancelled by the user', 'cancelled by the user']);
  });
});

describe('workerLayerRunner with maxBytes', () => {
  it('keeps the package bytes of the jobs running at once under the bound (a bigger job runs alone); later jobs that fit start while one waits for room', async () => {
    // workers that answer each job after a while, so that the pool's scheduling is what is seen
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const create = (): PoolWorker => {
      const listeners: ((e: MessageEvent) => void)[] = [];
      return {
        postMessage(m) {
          const { id, job } = m as { id: number; job: LayerJob };
          const bytes = job.packages.reduce((n, p) => n + p.blob.size, 0);
          running += bytes;
          most = Math.max(most, running);
          started.push(job.epoch);
          setTimeout(() => {
            running -= bytes;
            for (const l of listeners) l({ data: { id, digest: 'sha256:0', size: 0, packages: [], tar: new Uint8Array(0) } } as MessageEvent);
          }, 5);
        },
        addEventListener(type, l) { if (type === 'message') listeners.push(l as (e: MessageEvent) => void); },
        terminate() {},
      };
    };
    const sized = (epoch: number, n: number): LayerJob => ({ prefix: '/opt/conda', epoch, packages: [{ fn: `p${epoch}.conda`, blob: new Blob([new Uint8Array(n)]) }] });
    const sizes = [40, 30, 50, 10, 10, 10, 120, 20];
    const run = workerLayerRunner({ create, size: 4, maxBytes: 100 });
    await Promise.all(sizes.map((n, i) => run(sized(i, n))));
    // 40 + 30 run; 50 would make 120, so the 10s start beside them (four workers busy); each answer lets the
    // first job that fits start: the 50 (100 bytes with the two 10s), the last 10, the 20; the 120 waits for
    // all of them and runs alone
    expect(started).toEqual([0, 1, 3, 4, 2, 5, 7, 6]);
    expect(most).toBe(120); // the 120-byte job alone; never more than 100 bytes otherwise
    // a job that fits now is started at once: no worker idles behind a job waiting for room
    running = most = 0;
    started.length = 0;
    const two = workerLayerRunner({ create, size: 2, maxBytes: 100 });
    await Promise.all([90, 60, 10, 10].map((n, i) => two(sized(i, n))));
    expect(started).toEqual([0, 2, 1, 3]);
    expect(most).toBe(100);
    // without the bound, four at a time
    running = most = 0;
    const free = workerLayerRunner({ create, size: 4 });
    await Promise.all(sizes.map((n, i) => free(sized(i, n))));
    expect(most).toBeGreaterThan(120);
  });

  it('recycleAfterBytes: a worker that has run that many package bytes is ended once its job is answered, and the next job gets a fresh one', async () => {
    const workers: { bytes: number[]; ended: boolean; afterEnd: number }[] = [];
    const create = (): PoolWorker => {
      const w = { bytes: [] as number[], ended: false, afterEnd: 0 };
      workers.push(w);
      const listeners: ((e: MessageEvent) => void)[] = [];
      return {
        postMessage(m) {
          const { id, job } = m as { id: number; job: LayerJob };
          if (w.ended) w.afterEnd++;
          w.bytes.push(job.packages.reduce((n, p) => n + p.blob.size, 0));
          setTimeout(() => { for (const l of listeners) l({ data: { id, digest: 'sha256:0', size: 0, packages: [], tar: new Uint8Array(0) } } as MessageEvent); }, 2);
        },
        addEventListener(type, l) { if (type === 'message') listeners.push(l as (e: MessageEvent) => void); },
        terminate() { w.ended = true; },
      };
    };
    const sized = (epoch: number, n: number): LayerJob => ({ prefix: '/opt/conda', epoch, packages: [{ fn: `p${epoch}.conda`, blob: new Blob([new Uint8Array(n)]) }] });
    const sizes = [40, 30, 50, 10, 10, 10, 120, 20, 5];
    const run = workerLayerRunner({ create, size: 2, recycleAfterBytes: 60 });
    const results = await Promise.all(sizes.map((n, i) => run(sized(i, n))));
    expect(results).toHaveLength(sizes.length);
    expect(workers.reduce((n, w) => n + w.bytes.length, 0)).toBe(sizes.length);
    expect(workers.every((w) => w.afterEnd === 0)).toBe(true);
    for (const w of workers) {
      // every job but a worker's last left it under the bound; a worker that reached it was ended
      const total = w.bytes.reduce((a, b) => a + b, 0);
      expect(total - w.bytes[w.bytes.length - 1]).toBeLessThan(60);
      if (total >= 60) expect(w.ended).toBe(true);
    }
    expect(workers.filter((w) => w.ended).length).toBeGreaterThanOrEqual(3);
    // without it, the pool's two workers run every job
    workers.length = 0;
    const kept = workerLayerRunner({ create, size: 2 });
    await Promise.all(sizes.map((n, i) => kept(sized(i, n))));
    expect(workers).toHaveLength(2);
    expect(workers.some((w) => w.ended)).toBe(false);
  });
});

describe('hostile .conda packages, in memory and streaming', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layer-job-hostile-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const index = JSON.stringify({ name: 'evil', version: '1', build: '0', build_number: 0, subdir: 'noarch' });
  /** A real .conda (stored zip of metadata.json, info-*.tar.zst, pkg-*.tar.zst) made with tar, zstd and zip. */
  function makeConda(name: string, files: Record<string, string | number>, paths: Array<{ path: string; size: number }>, tarArgs: string[] = [], info: Record<string, string> = {}): string {
    const dir = join(tmp, name);
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(join(dir, 'pkg', p, '..'), { recursive: true });
      if (typeof c === 'number') execFileSync('truncate', ['-s', String(c), join(dir, 'pkg', p)]);
      else writeFileSync(join(dir, 'pkg', p), c);
    }
    mkdirSync(join(dir, 'info', 'info'), { recursive: true });
    writeFileSync(join(dir, 'info', 'info', 'index.json'), index);
    writeFileSync(join(dir, 'info', 'info', 'paths.json'), JSON.stringify({ paths_version: 1, paths: paths.map((p) => ({ _path: p.path, path_type: 'hardlink', size_in_bytes: p.size })) }));
    for (const [p, c] of Object.entries(info)) writeFileSync(join(dir, 'info', 'info', p), c);
    writeFileSync(join(dir, 'metadata.json'), '{"conda_pkg_format_version": 2}');
    execFileSync('sh', ['-c', `tar -C ${dir}/info -cf - info | zstd -q -19 -o ${dir}/info-${name}.tar.zst && tar -C ${dir}/pkg -cf - ${tarArgs.join(' ')} . | zstd -q -19 -o ${dir}/pkg-${name}.tar.zst`]);
    const out = join(tmp, `${name}.conda`);
    execFileSync('zip', ['-q', '-0', '-j', out, join(dir, 'metadata.json'), join(dir, `info-${name}.tar.zst`), join(dir, `pkg-${name}.tar.zst`)]);
    return out;
  }
  const run = async (path: string, maxInMemory?: number) => runLayerJob({ prefix: '/opt/conda', epoch: 0, packages: [{ fn: path.split('/').pop()!, blob: await openFileBlob(path) }] },
    maxInMemory === undefined ? {} : { maxInMemory }).then(() => undefined, (e: unknown) => e as CoreError);

  it('a package well formed opens in both modes (the packing itself is sound)', async () => {
    const ok = makeConda('fine', { 'lib/x': 'hello' }, [{ path: 'lib/x', size: 5 }]);
    expect(await run(ok)).toBeUndefined();
    expect(await run(ok, 0)).toBeUndefined();
  });

  it('a payload larger than paths.json declares stops at the bound', async () => {
    const liar = makeConda('liar', { 'lib/x': 'x'.repeat(30_000_000) }, [{ path: 'lib/x', size: 1 }]);
    for (const e of [await run(liar), await run(liar, 0)]) {
      expect(e).toBeInstanceOf(CoreError);
      expect(e!.message).toMatch(/liar\.conda expands past \d{4,6} bytes, more than its paths\.json declares/);
    }
  });

  it('a zstd bomb (256 MiB of zeros in a few KiB) stops at the bound', async () => {
    const bomb = makeConda('bomb', { 'lib/x': 256 * 1024 * 1024 }, [{ path: 'lib/x', size: 10 }]);
    expect(statSync(bomb).size).toBeLessThan(256 * 1024);
    for (const e of [await run(bomb), await run(bomb, 0)]) expect(e?.message).toMatch(/bomb\.conda expands past \d+ bytes/);
  });

  it('an error with a cause crosses the worker-thread boundary whole: class, code, message, cause chain', async () => {
    const broken = makeConda('broken', { 'lib/x': 'x' }, [{ path: 'lib/x', size: 1 }], [], { 'paths.json': '{"paths": [' });
    const here = (await run(broken))!;
    expect(here.cause).toBeInstanceOf(SyntaxError);
    const pool = nodeLayerRunner({ size: 1, startThread: startLayerThread });
    const there = await pool({ prefix: '/opt/conda', epoch: 0, packages: [{ fn: 'broken.conda', blob: await openFileBlob(broken) }] })
      .then(() => undefined, (e: unknown) => e as CoreError);
    expect(there).toBeInstanceOf(CoreError);
    expect(Object.getPrototypeOf(there)).toBe(Object.getPrototypeOf(here));
    expect([there!.name, there!.code, there!.message]).toEqual([here.name, here.code, here.message]);
    const cause = there!.cause as CoreError;
    expect(cause).toBeInstanceOf(CoreError);
    expect([cause.code, cause.name, cause.message]).toEqual(['internal', 'SyntaxError', (here.cause as Error).message]);
  });

  it('members with ../ or absolute paths are refused', async () => {
    const dotdot = makeConda('dotdot', { 'lib/x': 'x' }, [{ path: 'lib/x', size: 1 }], ['--transform=s,^./lib/x,../../etc/evil,']);
    const abs = makeConda('abs', { 'lib/x': 'x' }, [{ path: 'lib/x', size: 1 }], ['--absolute-names', '--transform=s,^./lib/x,/etc/evil,']);
    for (const p of [dotdot, abs]) for (const e of [await run(p), await run(p, 0)]) expect(e?.code).toBe('unsafe-path');
  });
});

describe.skipIf(!haveFixtures)('the Web Worker pool protocol (workers simulated on this thread)', () => {
  type L = (e: MessageEvent | ErrorEvent) => void;
  /** a PoolWorker whose other side is serveLayerJobs on this thread, messages cloned as postMessage would */
  function simulated(): PoolWorker {
    const mine: Record<string, L[]> = { message: [], error: [] };
    const theirs: L[] = [];
    serveLayerJobs({
      addEventListener: (_t, l) => { theirs.push(l as L); },
      postMessage: (m) => setTimeout(() => { for (const l of mine.message) l({ data: structuredClone(m) } as MessageEvent); }),
    });
    return {
      postMessage: (m) => setTimeout(() => { for (const l of theirs) l({ data: m } as MessageEvent); }),
      addEventListener: (t, l) => { mine[t].push(l); },
      terminate() {},
    };
  }

  it('gives the same layers as this thread, and falls back to this thread where workers cannot start', async () => {
    const jobs = await Promise.all(PKGS.slice(2, 6).map(async (p) => job([p], async (path) => new Blob([new Uint8Array(await (await openAsBlob(path)).arrayBuffer())]))));
    const local = await Promise.all(jobs.map((j) => runLayerJob(j)));
    const pooled = workerLayerRunner({ create: simulated, size: 2 });
    const noWorkers = workerLayerRunner({ create: () => { throw new Error('Worker is not defined'); }, size: 2 });
    const failing = workerLayerRunner({
      create: () => ({
        postMessage() {}, terminate() {},
        addEventListener: (t, l) => { if (t === 'error') setTimeout(() => l({ message: 'nested workers are not supported' } as ErrorEvent)); },
      }),
      size: 2,
    });
    for (const run of [pooled, noWorkers, failing]) {
      const got = await Promise.all(jobs.map((j) => run(j)));
      for (const [i, r] of got.entries()) await same(r, local[i]);
    }
  });

  it('a job that fails in a worker fails with its code; the pool goes on', async () => {
    const pooled = workerLayerRunner({ create: simulated, size: 1 });
    const bad = await job(['conda-index/tests/index_data/corrupt/noarch/bad_package.tar.bz2'], async (p) => new Blob([new Uint8Array(await (await openAsBlob(p)).arrayBuffer())]));
    const e = await pooled(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe('archive-invalid');
    const ok = await job([PKGS[2]]);
    await same(await pooled(ok), await runLayerJob(ok));
  });
});

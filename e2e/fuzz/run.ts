/**
 * `npm run fuzz`: a seeded mutation fuzzer over the archive reader (with the inspect listing and merge),
 * the conda package reader and installer, and the repodata decoders. Bounds are lowered to 8 MiB; each
 * input must end within 2 s of CPU time (see FUZZ_TIMEOUT_MS), clean or with a CoreError carrying a code,
 * while the process stays under 1 GB of RSS. Anything else is counted and the first few are printed with
 * the seed, the input number and the stack, so a run can be repeated exactly (`--seed S --only TARGET --from N --count 1`).
 *
 * Usage: node --import tsx e2e/fuzz/run.ts [--count N per target] [--seed S] [--only archive|conda|repodata]
 *        [--from N] [--json] [--save DIR: write each failing input there]
 * Exit status: 0 when every input ended well, 1 otherwise, 2 without the shared fixtures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom } from '../../bench/plan';
import { CoreError } from '../../src/core/errors';
import { haveFixtures } from '../../src/test-support/fixtures';
import { jsonText, mutateBytes, mutateConda, mutateJson, mutateTar, mutateTarHeader, pick, type Random } from './mutate';
import { archiveSeeds, packageSeeds, repodataSeeds, type RepodataSeed, type Seed } from './seeds';
import { fuzzArchive, fuzzConda, fuzzRepodata, type TargetName } from './targets';

/** The lowered bound on bytes any reader decodes into memory or spills. */
export const FUZZ_LIMIT = 8 << 20;
/**
 * Time one input may take: CPU time of the process (all threads) while it runs. On an idle machine that
 * is the wall-clock time; on a shared one, wall-clock time also counts the time other processes held
 * the cores, and an input that waits that long is not slow.
 */
export const FUZZ_TIMEOUT_MS = 2000;
/** Wall-clock time after which an input is aborted and counted as a timeout (a hang that burns no CPU). */
export const FUZZ_HANG_MS = 20_000;
/** RSS the process must stay under. */
export const FUZZ_MAX_RSS = 1 << 30;

/** Counts of one target's run. */
export interface TargetCounts {
  target: TargetName;
  inputs: number;
  clean: number;
  typed: number;
  untyped: number;
  timeouts: number;
  overMemory: number;
  /** error codes seen, with counts */
  codes: Record<string, number>;
  /** the first failures: input number, what happened */
  failures: Array<{ input: number; seed: string; kind: string; message: string }>;
  ms: number;
  /** CPU time of the process over the run (user + system, all threads): inputs per CPU second hold on a loaded machine */
  cpuMs: number;
  maxRss: number;
}

type Outcome = { kind: 'clean' } | { kind: 'typed'; code: string } | { kind: 'untyped' | 'timeout'; message: string };

async function runOne(f: (signal: AbortSignal) => Promise<void>): Promise<{ outcome: Outcome; ms: number }> {
  const ac = new AbortController();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => { timer = setTimeout(() => { ac.abort(); resolve({ kind: 'timeout', message: `no end after ${FUZZ_HANG_MS} ms` }); }, FUZZ_HANG_MS); });
  const run = f(ac.signal).then((): Outcome => ({ kind: 'clean' }), (e: unknown): Outcome => {
    if (e instanceof CoreError && typeof e.code === 'string' && e.code) return { kind: 'typed', code: e.code };
    const err = e as Error | undefined;
    return { kind: 'untyped', message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 5).join('\n')}` };
  });
  let outcome = await Promise.race([run, timeout]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // a synchronous spin cannot be interrupted: it still counts when it ran too long
  if (outcome.kind !== 'timeout' && cpuMs > FUZZ_TIMEOUT_MS) outcome = { kind: 'timeout', message: `ended after ${Math.round(cpuMs)} ms of CPU time (${Math.round(ms)} ms wall-clock)` };
  return { outcome, ms };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One mutated input for a seed: structural for tars and .conda packages, byte-level otherwise. */
async function mutateFor(target: TargetName, seed: Seed, r: Random): Promise<Uint8Array> {
  const rounds = r() < 0.8 ? 1 : 2;
  let b = seed.bytes;
  for (let i = 0; i < rounds; i++) {
    const p = r();
    const prev = b;
    try {
      if (target === 'archive') b = p < 0.45 ? await mutateTar(b, r) : p < 0.65 ? mutateTarHeader(b, r) : mutateBytes(b, r);
      else if (target === 'conda') b = seed.name.endsWith('.conda') && p < 0.6 ? await mutateConda(b, r) : mutateBytes(b, r);
      else b = seed.name.endsWith('.json') && p < 0.5 ? enc.encode(jsonText(mutateJson(JSON.parse(dec.decode(b)), r))) : mutateBytes(b, r);
    } catch {
      b = mutateBytes(prev, r); // the project's writers refuse some mutations: flip bytes instead
    }
  }
  return b;
}

/** Runs `count` inputs (numbered from `from`) against one target; the PRNG of input i is seeded by (seed, target, i). */
export async function fuzzTarget(target: TargetName, opts: { count: number; seed: number; from?: number; save?: string; onProgress?: (c: TargetCounts) => void }): Promise<TargetCounts> {
  const seeds: Seed[] = target === 'archive' ? await archiveSeeds() : target === 'conda' ? packageSeeds() : await repodataSeeds();
  const c: TargetCounts = { target, inputs: 0, clean: 0, typed: 0, untyped: 0, timeouts: 0, overMemory: 0, codes: {}, failures: [], ms: 0, cpuMs: 0, maxRss: 0 };
  const salt = { archive: 1, conda: 2, repodata: 3 }[target];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cpuMs = () => { const u = process.cpuUsage(cpu0); return (u.user + u.system) / 1000; };
  for (let i = opts.from ?? 0; i < (opts.from ?? 0) + opts.count; i++) {
    const r = createRandom((opts.seed * 1_000_003 + salt * 7919 + i * 104_729) >>> 0);
    const seed = pick(r, seeds);
    const bytes = await mutateFor(target, seed, r);
    const { outcome } = await runOne((signal) =>
      target === 'archive' ? fuzzArchive(bytes, FUZZ_LIMIT, signal)
        : target === 'conda' ? fuzzConda(bytes, seed.name, FUZZ_LIMIT)
        : fuzzRepodata(seed as RepodataSeed, bytes, FUZZ_LIMIT));
    c.inputs++;
    const rss = process.memoryUsage.rss(); // the RSS alone: memoryUsage() walks the heap spaces too
    c.maxRss = Math.max(c.maxRss, rss);
    let bad: { kind: string; message: string } | undefined;
    if (outcome.kind === 'clean') c.clean++;
    else if (outcome.kind === 'typed') { c.typed++; c.codes[outcome.code] = (c.codes[outcome.code] ?? 0) + 1; }
    else if (outcome.kind === 'timeout') { c.timeouts++; bad = outcome; } else { c.untyped++; bad = outcome; }
    if (rss > FUZZ_MAX_RSS) { c.overMemory++; bad ??= { kind: 'memory', message: `RSS ${Math.round(rss / 2 ** 20)} MiB` }; }
    if (bad) {
      if (c.failures.length < 20) c.failures.push({ input: i, seed: seed.name, kind: bad.kind, message: bad.message });
      if (opts.save) { mkdirSync(opts.save, { recursive: true }); writeFileSync(join(opts.save, `${target}-${i}-${seed.name.split('/').pop()}`), bytes); }
    }
    if (opts.onProgress && c.inputs % 500 === 0) opts.onProgress({ ...c, ms: performance.now() - t0, cpuMs: cpuMs() });
  }
  c.ms = performance.now() - t0;
  c.cpuMs = cpuMs();
  return c;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    count: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, only: { type: 'string' },
    from: { type: 'string', default: '0' }, json: { type: 'boolean', default: false }, save: { type: 'string' },
  } });
  if (!haveFixtures) { console.error('fuzz: the shared fixtures are absent; nothing to seed from'); process.exit(2); }
  const targets: TargetName[] = values.only ? [values.only as TargetName] : ['archive', 'conda', 'repodata'];
  const all: TargetCounts[] = [];
  for (const t of targets) {
    const c = await fuzzTarget(t, {
      count: Number(values.count), seed: Number(values.seed), from: Number(values.from), save: values.save,
      onProgress: values.json ? undefined : (p) => console.error(`${t}: ${p.inputs} inputs, ${p.untyped} untyped, ${p.timeouts} timeouts, ${p.overMemory} over memory, max RSS ${Math.round(p.maxRss / 2 ** 20)} MiB, ${(p.inputs / (p.ms / 1000)).toFixed(0)}/s, ${(p.inputs / (p.cpuMs / 1000)).toFixed(0)}/CPU-s`),
    });
    all.push(c);
    if (!values.json) {
      console.log(`${t}: ${c.inputs} inputs in ${(c.ms / 1000).toFixed(1)} s (${(c.inputs / (c.ms / 1000)).toFixed(0)}/s, ${(c.inputs / (c.cpuMs / 1000)).toFixed(0)}/CPU-s, seed ${values.seed}): ${c.clean} clean, ${c.typed} typed, `
        + `${c.untyped} untyped, ${c.timeouts} timeouts, ${c.overMemory} over memory; max RSS ${Math.round(c.maxRss / 2 ** 20)} MiB; codes ${JSON.stringify(c.codes)}`);
      for (const f of c.failures) console.log(`  #${f.input} (${f.seed}) ${f.kind}: ${f.message}`);
    }
  }
  if (values.json) console.log(JSON.stringify(all));
  process.exit(all.some((c) => c.untyped || c.timeouts || c.overMemory) ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

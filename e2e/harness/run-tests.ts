/**
 * `npm test`: the single entry point. Stages, each timed:
 *   deps → lint (eslint .) and types (tsc --noEmit) side by side → unit (Vitest, src/ and proxy/) → peers
 *   (busybox rootfs, dockerd + registries: started in the background before lint, since nothing before the
 *   integration stage needs them and they mostly wait on I/O) → integration (Vitest, e2e/integration and
 *   e2e/harness, DOCKER_HOST set; two lanes side by side, the files using the daemon or the registries and
 *   the others, see vitest.integration.config.ts; the e2e build is made beside it) → e2e (Playwright) → stop
 *   dockerd (also on SIGINT/SIGTERM).
 * Ends with one line `N passed, N failed[, N skipped]`: tests counted from the Vitest and Playwright JSON
 * reports; a stage that fails without a test report (lint, types, a runner crash) counts as one failure.
 * Outside CI a missing peer skips the stages that need it; under CI=true it is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxRootfs } from './busybox';
import { ensureDeps } from './deps';
import { startDockerd, type Dockerd } from './dockerd';
import { startRegistries, type Registries } from './registry';
import { createServer } from 'node:net';
import { cacheDir, isCI, isRoot, repoRoot } from './util';

interface Tally { passed: number; failed: number; skipped: number }
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const stageLines: string[] = [];
const reports = join(cacheDir, 'reports');
/**
 * This run's folder for what several test files would otherwise each make from the same inputs (the Debian
 * base archive, debian.ts): given to every stage as DOCKER_ENVS_RUN_CACHE, removed when the run ends. A run
 * that was killed leaves its folder; the next run removes those whose process is gone.
 */
const runCache = join(cacheDir, `run-${process.pid}`);
const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
const running = new Set<ChildProcess>();
let daemon: Dockerd | undefined;
let registries: Registries | undefined;
let registriesStarting: Promise<void> | undefined;
let peersStarting: Promise<unknown> | undefined;
let interrupted = false;

function banner(name: string): number {
  console.log(`\n━━ ${name} ━━`);
  return performance.now();
}

function finish(name: string, start: number, verdict: string): void {
  const line = `[${name}] ${verdict} in ${((performance.now() - start) / 1000).toFixed(1)} s`;
  stageLines.push(line);
  console.log(line);
}

/** Runs a command with inherited stdio from the repo root; resolves with its exit code. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  if (interrupted) return Promise.resolve(130);
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    running.add(child);
    child.on('error', (err) => { running.delete(child); console.error(`cannot start ${cmd}: ${err.message}`); done(127); });
    child.on('exit', (code, signal) => { running.delete(child); done(code ?? (signal ? 128 : 1)); });
  });
}

/** Runs a command from the repo root with its output held (for a job running beside a stage); resolves with its exit code and output. */
function runHeld(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  if (interrupted) return Promise.resolve({ code: 130, output: '' });
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    running.add(child);
    let output = '';
    child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
    child.on('error', (err) => { running.delete(child); done({ code: 127, output: `cannot start ${cmd}: ${err.message}` }); });
    child.on('close', (code, signal) => { running.delete(child); done({ code: code ?? (signal ? 128 : 1), output }); });
  });
}

/** Stages whose only result is their exit code (lint, types), run side by side; each is timed on its own. */
async function plainStages(stages: Array<{ name: string; cmd: string; args: string[] }>): Promise<void> {
  if (interrupted) return stages.forEach((st) => notRun(st.name));
  banner(stages.map((st) => st.name).join(' + '));
  await Promise.all(stages.map(async (st) => {
    const start = performance.now();
    const code = await run(st.cmd, st.args);
    if (code !== 0) total.failed += 1;
    finish(st.name, start, code === 0 ? 'ok' : `FAILED (exit ${code})`);
  }));
}

/** Counts a Vitest JSON report; a file that failed to load counts as one failure. */
function countVitest(file: string): Tally | undefined {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number;
    testResults: Array<{ status: string; assertionResults: Array<{ status: string }> }>;
  };
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed')).length;
  return { passed: r.numPassedTests, failed: r.numFailedTests + brokenFiles, skipped: r.numPendingTests + r.numTodoTests };
}

/** Counts a Playwright JSON report (flaky = passed on retry). */
function countPlaywright(file: string): Tally | undefined {
  if (!existsSync(file)) return undefined;
  const s = (JSON.parse(readFileSync(file, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } }).stats;
  return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
}

/** Runs a test runner stage and adds its counts; a non-zero exit with no counted failure adds one. */
async function testStage(name: string, cmd: string, args: string[], report: string, count: (f: string) => Tally | undefined, env: NodeJS.ProcessEnv = {}): Promise<void> {
  if (interrupted) return notRun(name);
  const start = banner(name);
  rmSync(report, { force: true });
  const code = await run(cmd, args, env);
  const t = count(report) ?? { passed: 0, failed: 0, skipped: 0 };
  if (code !== 0 && t.failed === 0) t.failed = 1;
  total.passed += t.passed; total.failed += t.failed; total.skipped += t.skipped;
  const counts = `${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`;
  finish(name, start, `${code === 0 ? 'ok' : `FAILED (exit ${code})`}: ${counts}`);
}

/**
 * The integration stage as two lanes side by side, each running its files one at a time: the daemon lane
 * (inherited output) and the daemon-free lane (output held, printed when both are done). One stage line,
 * the counts of both reports; a lane that exits non-zero with no counted failure adds one.
 */
async function integrationStage(vitestArgs: (report: string) => string[], env: NodeJS.ProcessEnv): Promise<void> {
  const name = 'integration';
  if (interrupted) return notRun(name);
  const start = banner(name);
  const lanes = [
    { lane: 'daemon', report: join(reports, 'integration.json') },
    { lane: 'daemon-free', report: join(reports, 'integration-daemon-free.json') },
  ];
  for (const l of lanes) rmSync(l.report, { force: true });
  const laneEnv = (lane: string) => ({ ...env, DOCKER_ENVS_INTEGRATION_LANE: lane });
  const [daemonCode, free] = await Promise.all([
    run(bin('vitest'), vitestArgs(lanes[0].report), laneEnv(lanes[0].lane)),
    runHeld(bin('vitest'), vitestArgs(lanes[1].report), laneEnv(lanes[1].lane)),
  ]);
  console.log(`\n[integration, daemon-free lane]\n${free.output.trimEnd()}`);
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const [i, code] of [daemonCode, free.code].entries()) {
    const c = countVitest(lanes[i].report) ?? { passed: 0, failed: 0, skipped: 0 };
    if (code !== 0 && c.failed === 0) c.failed = 1;
    t.passed += c.passed; t.failed += c.failed; t.skipped += c.skipped;
  }
  total.passed += t.passed; total.failed += t.failed; total.skipped += t.skipped;
  const ok = daemonCode === 0 && free.code === 0;
  const counts = `${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`;
  finish(name, start, `${ok ? 'ok' : `FAILED (exit ${daemonCode}, daemon-free lane ${free.code})`}: ${counts}`);
}

function notRun(name: string): void {
  stageLines.push(`[${name}] not run (interrupted)`);
}

function skipStage(name: string, why: string): void {
  total.skipped += 1;
  stageLines.push(`[${name}] SKIPPED: ${why}`);
  console.log(`\n━━ ${name} ━━\n[${name}] SKIPPED: ${why}`);
}

/** A free loopback TCP port for the Playwright web server, so parallel checkouts do not collide. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

async function stopDaemon(): Promise<void> {
  await peersStarting; // a dockerd still starting is stopped once up, not left behind
  const d = daemon;
  daemon = undefined;
  await registriesStarting;
  const r = registries;
  registries = undefined;
  await Promise.all([d?.stop(), r?.stop()]);
}

/**
 * Starts the peers in the background: the busybox rootfs, the registries (seeded from cache, or built once)
 * and dockerd; fills `env` with what the integration and e2e stages need. Resolves with its log lines, held
 * so they do not interleave with the stages running meanwhile. A registry failure is one failure: the tests
 * that need them skip, the others still run.
 */
async function startPeers(env: NodeJS.ProcessEnv): Promise<{ ok: boolean; lines: string[]; ms: number }> {
  const start = performance.now();
  const lines: string[] = [];
  try {
    const rootfs = await busyboxRootfs();
    lines.push(`busybox rootfs ${rootfs.cached ? 'cached' : 'built'} in ${Math.round(rootfs.ms)} ms: sha256:${rootfs.sha256}`);
    const regs = registriesStarting = startRegistries({ log: (l) => lines.push(`[registry] ${l}`) }).then((r) => { registries = r; }, (err: unknown) => {
      lines.push(`registries failed to start: ${err instanceof Error ? err.message : String(err)}`);
      total.failed += 1;
    });
    // lint, types and unit keep both cores busy meanwhile: a healthy daemon can take minutes to answer then
    daemon = await startDockerd({ timeoutMs: 300_000 });
    await regs;
    if (interrupted) throw new Error('interrupted');
    lines.push(`dockerd (${daemon.storageDriver}) ready in ${Math.round(daemon.startMs)} ms at ${daemon.host}`);
    Object.assign(env, { DOCKER_HOST: daemon.host, DOCKER_ENVS_BUSYBOX_ROOTFS: rootfs.path, DOCKER_ENVS_BUSYBOX_SHA256: rootfs.sha256 }, registries?.env);
    return { ok: true, lines, ms: performance.now() - start };
  } catch (err) {
    lines.push(err instanceof Error ? err.message : String(err));
    return { ok: false, lines, ms: performance.now() - start };
  }
}

/** True while a process with this id runs. */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

async function main(): Promise<void> {
  const wall = performance.now();
  mkdirSync(reports, { recursive: true });
  for (const name of readdirSync(cacheDir)) {
    const pid = /^run-(\d+)$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) rmSync(join(cacheDir, name), { recursive: true, force: true });
  }

  let start = banner('deps');
  const deps = await ensureDeps();
  let peersOk = deps.ok && isRoot;
  if (deps.ok && !isRoot) {
    console.error('dockerd and chroot need root: run npm test as root for the integration and e2e stages');
    if (isCI) total.failed += 1;
  }
  if (!deps.ok) {
    console.error(`missing Debian packages: ${deps.missing.join(' ')}\nrun as root: ${deps.fix}`);
    if (isCI) total.failed += 1;
  }
  finish('deps', start, deps.ok ? `ok${deps.installed.length ? ` (installed ${deps.installed.join(' ')})` : ''}` : isCI ? 'FAILED' : 'missing peers, their stages will be skipped');

  const env: NodeJS.ProcessEnv = { DOCKER_ENVS_RUN_CACHE: runCache };
  const peers = peersOk ? startPeers(env) : undefined;
  peersStarting = peers;
  await plainStages([
    { name: 'lint', cmd: bin('eslint'), args: ['.'] },
    { name: 'types', cmd: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json'] },
  ]);
  const vitest = (project: string, report: string) => ['run', '--config', `e2e/harness/vitest.${project}.config.ts`,
    '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
  const unitReport = join(reports, 'unit.json');
  await testStage('unit', bin('vitest'), vitest('unit', unitReport), unitReport, countVitest);

  if (peers) {
    banner('peers');
    const p = await peers;
    if (p.lines.length) console.log(p.lines.join('\n'));
    if (!p.ok) { total.failed += 1; peersOk = false; }
    stageLines.push(`[peers] ${p.ok ? 'ok' : 'FAILED'} in ${(p.ms / 1000).toFixed(1)} s (in the background since lint)`);
    console.log(stageLines[stageLines.length - 1]);
  }
  // The e2e build (vite.e2e.config.ts) is made beside the integration stage, whose lanes often wait on dockerd;
  // Playwright's web server then only serves it. If it fails, Playwright builds it again and shows the error.
  const e2eBuildStart = performance.now();
  const e2eBuild = deps.ok && !interrupted
    ? runHeld(bin('vite'), ['build', '--config', 'vite.e2e.config.ts', '--logLevel', 'warn']).then((r) => ({ ...r, ms: performance.now() - e2eBuildStart }))
    : undefined;
  // Under CI a missing peer was already counted as a failure above, so its stages are not run.
  const why = !deps.ok ? `missing ${deps.missing.join(' ')}` : !isRoot ? 'not root' : 'the peers could not start (see above)';
  if (peersOk) {
    await integrationStage((report) => vitest('integration', report), env);
  } else if (!isCI) {
    skipStage('integration', why);
  }
  // Playwright needs Chromium (a Debian package) but not root or the daemon.
  if (deps.ok) {
    const pw = join(reports, 'playwright.json');
    const built = await e2eBuild;
    if (built) {
      if (built.output.trim()) console.log(`\n${built.output.trimEnd()}`);
      stageLines.push(`[e2e build] ${built.code === 0 ? 'ok' : `FAILED (exit ${built.code}), Playwright's web server builds it again`} in ${(built.ms / 1000).toFixed(1)} s (beside integration)`);
      console.log(stageLines[stageLines.length - 1]);
    }
    if (!interrupted) await testStage('e2e', bin('playwright'), ['test', '--reporter=list,json'], pw, countPlaywright,
      { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: pw, E2E_PORT: process.env.E2E_PORT ?? String(await freePort()), ...(built?.code === 0 ? { E2E_DIST_BUILT: '1' } : {}) });
  } else if (!isCI) {
    skipStage('e2e', why);
  }

  start = banner('stop dockerd');
  await stopDaemon();
  finish('stop dockerd', start, 'ok');

  console.log(`\n━━ summary ━━\n${stageLines.join('\n')}\nwall time ${((performance.now() - wall) / 1000).toFixed(1)} s`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  process.exitCode = interrupted ? 130 : total.failed > 0 ? 1 : 0;
}

// First signal: end the running stage, run no further stage, stop dockerd, print the summary.
// A second signal: stop dockerd and leave at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      void stopDaemon().finally(() => process.exit(130));
      return;
    }
    interrupted = true;
    console.error(`\n${signal}: ending the current stage; dockerd will be stopped`);
    // Ctrl-C already reached the stage's runner (same process group) and runners shut down their own
    // servers and browsers on SIGINT; a SIGTERM sent to the harness alone is passed on as SIGINT. A runner
    // still alive 10 s later is terminated.
    const children = [...running];
    for (const child of children) {
      if (child.pid && signal === 'SIGTERM') { try { process.kill(child.pid, 'SIGINT'); } catch { /* gone */ } }
    }
    setTimeout(() => {
      for (const child of children) {
        if (child.pid && child.exitCode === null && child.signalCode === null) {
          try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
        }
      }
    }, 10_000).unref();
  });
}

try {
  await main();
} catch (err) {
  console.error(err);
  await stopDaemon();
  console.log(`${total.passed} passed, ${total.failed + 1} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  process.exitCode = 1;
} finally {
  rmSync(runCache, { recursive: true, force: true });
}

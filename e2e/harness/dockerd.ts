/**
 * A private, real dockerd for the integration tests: loopback-only unix socket, its own data root, exec
 * root and pidfile under `.cache/harness/dockerd`, no iptables, no bridge. Stopped by PID (SIGTERM, then
 * SIGKILL), together with the containerd and shims it started; a run that was killed leaves state that the
 * next start cleans up. CLI: `node --import tsx e2e/harness/dockerd.ts [start|stop|status]`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, cmdline, isAlive, isMain, readPid, runCapture, since, waitFor } from './util';

/** Where one harness daemon keeps its state. */
export interface DockerdPaths {
  base: string; dataRoot: string; execRoot: string; pidfile: string; socket: string; log: string;
}

/** A running harness daemon. */
export interface Dockerd {
  /** value for DOCKER_HOST, `unix:///…/docker.sock` */
  host: string;
  pid: number;
  /** `overlay2`, or `vfs` where overlay mounts do not work */
  storageDriver: string;
  /** milliseconds from spawn until `docker version` answered */
  startMs: number;
  paths: DockerdPaths;
  /** SIGTERM, SIGKILL after 15 s, then ends leftover containerd/shim processes and unmounts. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Paths under `.cache/harness/dockerd`. A unix socket path may be at most 107 bytes and containerd puts
 * `containerd/containerd.sock.ttrpc` under the exec root, so a deep checkout moves the exec root and the
 * socket to a short, per-checkout folder in the temp dir.
 */
export function dockerdPaths(base = join(cacheDir, 'dockerd')): DockerdPaths {
  let runDir = join(base, 'run');
  if (join(runDir, 'exec/containerd/containerd.sock.ttrpc').length > 100) {
    runDir = join(tmpdir(), `docker-envs-${createHash('sha256').update(base).digest('hex').slice(0, 10)}`);
  }
  return {
    base, dataRoot: join(base, 'data'), execRoot: join(runDir, 'exec'), pidfile: join(base, 'dockerd.pid'),
    socket: join(runDir, 'docker.sock'), log: join(base, 'dockerd.log'),
  };
}

/** `overlay2` if an overlay mount works under `base` (and the env does not say otherwise), else `vfs`. */
export function pickStorageDriver(base: string): string {
  const forced = process.env.DOCKER_ENVS_STORAGE_DRIVER;
  if (forced) return forced;
  const probe = join(base, 'overlay-probe');
  rmSync(probe, { recursive: true, force: true });
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(probe, d), { recursive: true });
  const opts = `lowerdir=${probe}/lower,upperdir=${probe}/upper,workdir=${probe}/work`;
  const r = runCapture('mount', ['-t', 'overlay', 'overlay', '-o', opts, join(probe, 'merged')]);
  if (r.code === 0) runCapture('umount', [join(probe, 'merged')]);
  rmSync(probe, { recursive: true, force: true });
  if (r.code !== 0) console.warn(`[dockerd] overlay mounts fail here (${r.stderr.trim()}): using the vfs storage driver (slower, more disk)`);
  return r.code === 0 ? 'overlay2' : 'vfs';
}

/** Sends `signal` to `pid` and waits up to `ms` for it to be gone. True if it is gone. */
async function signalAndWait(pid: number, signal: NodeJS.Signals, ms: number): Promise<boolean> {
  if (!isAlive(pid)) return true;
  try { process.kill(pid, signal); } catch { /* already gone */ }
  return waitFor(() => !isAlive(pid), ms);
}

/** PIDs of live processes whose command line mentions `needle` (our own unique paths). */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid) && cmdline(pid).includes(needle));
}

/** Mount points at or under any of `roots`, deepest first. */
function mountsUnder(roots: string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '));
  return [...new Set(points.filter((p) => roots.some((r) => p === r || p.startsWith(r + '/'))))]
    .sort((a, b) => b.length - a.length);
}

/**
 * Ends every process a previous daemon at `paths` left (dockerd from the pidfile, then containerd and shims
 * found by our exec root), unmounts what it left mounted, and removes pidfiles and sockets.
 */
export async function cleanStale(paths: DockerdPaths): Promise<string[]> {
  const actions: string[] = [];
  const pid = readPid(paths.pidfile);
  if (pid && isAlive(pid) && cmdline(pid).includes(paths.dataRoot)) {
    actions.push(`stopped leftover dockerd ${pid}`);
    if (!(await signalAndWait(pid, 'SIGTERM', 15_000))) await signalAndWait(pid, 'SIGKILL', 5_000);
  }
  for (const p of processesMentioning(paths.execRoot)) {
    actions.push(`killed leftover ${cmdline(p).split(' ')[0]} ${p}`);
    await signalAndWait(p, 'SIGKILL', 5_000);
  }
  for (const m of mountsUnder([paths.dataRoot, paths.execRoot])) {
    if (runCapture('umount', [m]).code !== 0) runCapture('umount', ['-l', m]);
    actions.push(`unmounted ${m}`);
  }
  rmSync(paths.pidfile, { force: true });
  rmSync(paths.socket, { force: true });
  rmSync(join(paths.execRoot, 'containerd/containerd.pid'), { force: true });
  return actions;
}

/** GET /_ping on the daemon socket; true on "OK". */
function ping(socket: string): Promise<boolean> {
  return new Promise((resolvePing) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolvePing(res.statusCode === 200);
    });
    req.on('error', () => resolvePing(false));
    req.on('timeout', () => { req.destroy(); resolvePing(false); });
    req.end();
  });
}

/** Starts a private dockerd and waits until `docker version` answers on its socket. */
export async function startDockerd(opts: { base?: string; timeoutMs?: number } = {}): Promise<Dockerd> {
  const paths = dockerdPaths(opts.base);
  for (const d of [paths.base, paths.dataRoot, paths.execRoot]) mkdirSync(d, { recursive: true });
  for (const a of await cleanStale(paths)) console.log(`[dockerd] ${a}`);
  const storageDriver = pickStorageDriver(paths.base);
  const args = [
    '--data-root', paths.dataRoot, '--exec-root', paths.execRoot, '--pidfile', paths.pidfile,
    '-H', `unix://${paths.socket}`, '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--ip-masq=false', '--storage-driver', storageDriver,
  ];
  const start = performance.now();
  const logFd = openSync(paths.log, 'w');
  // detached: a Ctrl-C on the terminal reaches the harness, which then stops the daemon in order.
  const child = spawn('dockerd', args, { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited (${signal ?? code})`; });
  child.on('error', (err) => { exited = `could not start (${err.message})`; });
  child.unref();
  const pid = child.pid ?? 0;
  const host = `unix://${paths.socket}`;
  const stop = async () => {
    if (!(await signalAndWait(pid, 'SIGTERM', 15_000))) await signalAndWait(pid, 'SIGKILL', 5_000);
    await cleanStale(paths);
  };
  const ready = await waitFor(async () => exited !== undefined || (await ping(paths.socket)), opts.timeoutMs ?? 60_000);
  const version = ready && !exited ? runCapture('docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host } }) : undefined;
  if (!version || version.code !== 0) {
    await stop();
    const tail = existsSync(paths.log) ? readFileSync(paths.log, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new Error(`dockerd ${exited ?? 'did not answer'} (${version?.stderr.trim() ?? 'no docker version'}); ` +
      `see ${paths.log}:\n${tail}`);
  }
  return { host, pid, storageDriver, startMs: performance.now() - start, paths, stop };
}

if (isMain(import.meta.url)) {
  const cmd = process.argv[2] ?? 'start';
  const paths = dockerdPaths();
  if (cmd === 'stop') {
    const acts = await cleanStale(paths);
    console.log(acts.length ? acts.map((a) => `[dockerd] ${a}`).join('\n') : '[dockerd] nothing running');
  } else if (cmd === 'status') {
    const pid = readPid(paths.pidfile);
    console.log(isAlive(pid) ? `[dockerd] running, pid ${pid}, DOCKER_HOST=unix://${paths.socket}` : '[dockerd] not running');
  } else {
    const t = performance.now();
    const d = await startDockerd();
    console.log(`[dockerd] ready in ${since(t)} (pid ${d.pid}, ${d.storageDriver})\nexport DOCKER_HOST=${d.host}\n` +
      `stop it with: node --import tsx e2e/harness/dockerd.ts stop`);
  }
}

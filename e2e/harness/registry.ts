/**
 * The real distribution registry (Debian's `docker-registry serve config.yml`) on loopback, in three modes:
 * open, htpasswd (bcrypt, `htpasswd -Bbc`) and bearer tokens (the project's token server, token-server.ts),
 * plus the fault-injecting upstream in front of the open one. Each registry is started by PID and stopped by
 * PID; storage lives in `.cache/harness/registry-<mode>.<pid>/`, copied fresh each run from the seeded storage that
 * images.ts builds (and caches) once.
 * `startRegistries()` starts all of them and returns the environment for the tests (see env.ts for the
 * contract). The token server and the fault upstream answer from the caller's event loop: in that process, run
 * clients asynchronously (execFile, not execFileSync). CLI: `node --import tsx e2e/harness/registry.ts` starts them, prints `export …` lines and keeps
 * running until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startFaultUpstream, type FaultUpstream } from './fault-upstream';
import { seedRegistryStorage } from './images';
import { startTokenServer, tokenKeys, type TokenServer } from './token-server';
import { cacheDir, isAlive, isMain, runCapture, sleep, waitFor } from './util';

/** How a registry checks clients. */
export type RegistryMode = 'open' | 'basic' | 'token';

/** Test credentials (loopback-only registries; not secrets). */
export const registryUsers = {
  /** may pull and push (basic and token modes) */
  writer: { user: 'tester', password: 'tester-pass' },
  /** may only pull (token mode) */
  reader: { user: 'reader', password: 'reader-pass' },
} as const;

/** The token mode's `service` and `issuer`. */
export const tokenService = 'docker-envs-registry';
export const tokenIssuer = 'docker-envs-token-issuer';

/** A running registry. */
export interface Registry {
  mode: RegistryMode;
  /** `127.0.0.1:PORT` */
  host: string;
  pid: number;
  /** its storage root */
  root: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => ok(p)); });
  });
}

/** Options of startRegistry. */
export interface StartRegistryOptions {
  mode: RegistryMode;
  /** storage root (created if absent) */
  root: string;
  /** htpasswd file (basic mode) */
  htpasswd?: string;
  /** token realm and root certificate bundle (token mode) */
  token?: { realm: string; certFile: string };
}

function configYaml(o: StartRegistryOptions, host: string): string {
  const auth = o.mode === 'basic'
    ? `auth:\n  htpasswd:\n    realm: docker-envs-basic\n    path: ${o.htpasswd}\n`
    : o.mode === 'token'
      ? `auth:\n  token:\n    realm: ${o.token!.realm}\n    service: ${tokenService}\n    issuer: ${tokenIssuer}\n    rootcertbundle: ${o.token!.certFile}\n`
      : '';
  return `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${o.root}/data\n` +
    `  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n` +
    `http:\n  addr: ${host}\n  secret: docker-envs-harness-${o.mode}\n${auth}`;
}

/** Starts one registry on a free loopback port and waits until `/v2/` answers (200, or 401 with auth). */
export async function startRegistry(o: StartRegistryOptions): Promise<Registry> {
  mkdirSync(join(o.root, 'data'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    writeFileSync(join(o.root, 'config.yml'), configYaml(o, host));
    const log = openSync(join(o.root, 'registry.log'), 'w');
    const child: ChildProcess = spawn('docker-registry', ['serve', join(o.root, 'config.yml')], { stdio: ['ignore', log, log] });
    const pid = child.pid ?? 0;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const stop = async () => {
      if (isAlive(pid)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      await Promise.race([exited, sleep(5000)]);
      if (isAlive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    };
    const up = await waitFor(async () => !isAlive(pid) || await fetch(`http://${host}/v2/`).then(
      (r) => r.status === (o.mode === 'open' ? 200 : 401), () => false), 10_000, 30);
    if (up && isAlive(pid)) return { mode: o.mode, host, pid, root: o.root, stop };
    await stop();
    if (attempt >= 2) throw new Error(`docker-registry (${o.mode}) did not start; see ${join(o.root, 'registry.log')}`);
  }
}

/** Everything startRegistries started, and the environment that describes it to tests. */
export interface Registries {
  open: Registry;
  basic: Registry;
  token: Registry;
  tokenServer: TokenServer;
  faulty: FaultUpstream;
  /** DOCKER_ENVS_REGISTRY_* variables (see env.ts) */
  env: Record<string, string>;
  /** seeding: from cache or built, and how long everything took */
  seeded: { cached: boolean; ms: number };
  startMs: number;
  stop(): Promise<void>;
}

/**
 * Seeds (or reuses) the registry storage with the test images, copies it into a fresh root per mode and starts
 * the three registries, the token server and the fault upstream. Stops whatever started if a later step fails.
 */
export async function startRegistries(opts: { log?: (line: string) => void } = {}): Promise<Registries> {
  const log = opts.log ?? (() => {});
  const start = performance.now();
  const seed = await seedRegistryStorage({ log });
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => { for (const s of started.reverse()) await s.stop().catch(() => {}); started.length = 0; };
  // roots left by runs that died without stopping (their PID is gone)
  for (const d of readdirSync(cacheDir)) {
    const m = /^registry-(?:open|basic|token)\.(\d+)$/.exec(d);
    if (m && !isAlive(Number(m[1]))) rmSync(join(cacheDir, d), { recursive: true, force: true });
  }
  try {
    const roots = Object.fromEntries((['open', 'basic', 'token'] as const).map((m) => {
      // per process, so two runs in one checkout do not share a root; removed on stop
      const root = join(cacheDir, `registry-${m}.${process.pid}`);
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      cpSync(seed.dataDir, join(root, 'data'), { recursive: true });
      return [m, root];
    })) as Record<RegistryMode, string>;
    const htpasswd = join(roots.basic, 'htpasswd');
    const h = runCapture('htpasswd', ['-Bbc', htpasswd, registryUsers.writer.user, registryUsers.writer.password]);
    if (h.code !== 0) throw new Error(`htpasswd (apache2-utils) failed: ${h.stderr.trim()}`);
    const keys = tokenKeys(join(cacheDir, 'registry-token-keys'));
    const tokenServer = await startTokenServer({
      ...keys, issuer: tokenIssuer, service: tokenService,
      users: {
        [registryUsers.writer.user]: { password: registryUsers.writer.password, actions: ['pull', 'push'] },
        [registryUsers.reader.user]: { password: registryUsers.reader.password, actions: ['pull'] },
      },
    });
    started.push(tokenServer);
    const [open, basic, token] = await Promise.all([
      startRegistry({ mode: 'open', root: roots.open }),
      startRegistry({ mode: 'basic', root: roots.basic, htpasswd }),
      startRegistry({ mode: 'token', root: roots.token, token: { realm: tokenServer.realm, certFile: keys.certFile } }),
    ]);
    started.push(...[open, basic, token].map((r) => ({ stop: async () => { await r.stop(); rmSync(r.root, { recursive: true, force: true }); } })));
    const faulty = await startFaultUpstream({ upstream: open.host });
    started.push(faulty);
    const env: Record<string, string> = {
      DOCKER_ENVS_REGISTRY_OPEN: open.host,
      DOCKER_ENVS_REGISTRY_BASIC: basic.host,
      DOCKER_ENVS_REGISTRY_BASIC_USER: registryUsers.writer.user,
      DOCKER_ENVS_REGISTRY_BASIC_PASS: registryUsers.writer.password,
      DOCKER_ENVS_REGISTRY_TOKEN: token.host,
      DOCKER_ENVS_REGISTRY_TOKEN_USER: registryUsers.writer.user,
      DOCKER_ENVS_REGISTRY_TOKEN_PASS: registryUsers.writer.password,
      DOCKER_ENVS_REGISTRY_TOKEN_READER: `${registryUsers.reader.user}:${registryUsers.reader.password}`,
      DOCKER_ENVS_TOKEN_SERVER: tokenServer.host,
      DOCKER_ENVS_FAULTY: faulty.host,
      DOCKER_ENVS_REGISTRY_IMAGES: JSON.stringify(seed.images),
    };
    const startMs = performance.now() - start;
    log(`registries ready in ${Math.round(startMs)} ms (seed ${seed.cached ? 'cached' : 'built'} in ${Math.round(seed.ms)} ms): ` +
      `open ${open.host}, basic ${basic.host}, token ${token.host} (tokens ${tokenServer.host}), faulty ${faulty.host}`);
    return { open, basic, token, tokenServer, faulty, env, seeded: { cached: seed.cached, ms: seed.ms }, startMs, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

if (isMain(import.meta.url)) {
  const regs = await startRegistries({ log: (l) => console.error(`[registry] ${l}`) });
  for (const [k, v] of Object.entries(regs.env)) console.log(`export ${k}='${v}'`);
  console.error('[registry] running; Ctrl-C stops them');
  const stop = () => { void regs.stop().finally(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => {});
}

/** True when the Debian registry binary is installed (the registries can start here). */
export const registryInstalled = existsSync('/usr/bin/docker-registry');

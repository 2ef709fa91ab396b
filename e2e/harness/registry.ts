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
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultUpstream, type FaultUpstream } from './fault-upstream';
import { seedRegistryStorage } from './images';
import { registryUsers, startRegistry, tokenIssuer, tokenService, type Registry, type RegistryMode } from './registry-server';
import { startTokenServer, tokenKeys, type TokenServer } from './token-server';
import { cacheDir, isAlive, isMain, runCapture } from './util';

export { freePort, registryInstalled, registryUsers, startRegistry, tokenIssuer, tokenService, type Registry, type RegistryMode, type StartRegistryOptions } from './registry-server';

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


/**
 * One real distribution registry process (Debian's `docker-registry serve config.yml`) on loopback, in one of
 * three modes (open, htpasswd, bearer tokens), started and stopped by PID. registry.ts starts the harness's set
 * of them over the storage images.ts seeds; images.ts starts one of its own to seed that storage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isAlive, sleep, waitFor } from './util';

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

/** True when the Debian registry binary is installed (the registries can start here). */
export const registryInstalled = existsSync('/usr/bin/docker-registry');

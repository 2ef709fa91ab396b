/**
 * What `npm test` hands the integration tests, read from the environment:
 * DOCKER_HOST (the harness daemon) and DOCKER_ENVS_BUSYBOX_ROOTFS (+ _SHA256), the deterministic busybox
 * rootfs tar. Outside the harness they are absent and tests that need them skip
 * (`describe.skipIf(!haveDocker)`); under CI=true, importing this module without them is a failure.
 * To run an integration test by hand: `eval $(node --import tsx e2e/harness/dockerd.ts start | grep export)`
 * and `node --import tsx e2e/harness/busybox.ts`.
 */
import { existsSync } from 'node:fs';
import { busyboxRootfsPath } from './busybox';

/** `unix:///…/docker.sock` of the harness daemon, or undefined. */
export const dockerHost: string | undefined = process.env.DOCKER_HOST;

/** True when a daemon was handed to this run. */
export const haveDocker = !!dockerHost;

/** Path of the busybox rootfs tar (uncompressed), or undefined when it has not been built. */
export const busyboxRootfsTar: string | undefined = process.env.DOCKER_ENVS_BUSYBOX_ROOTFS
  ?? (existsSync(busyboxRootfsPath) ? busyboxRootfsPath : undefined);

/** sha256 hex of that tar, when the harness provided it. */
export const busyboxRootfsSha256: string | undefined = process.env.DOCKER_ENVS_BUSYBOX_SHA256;

/** Environment for spawning `docker`/`skopeo` against the harness daemon. */
export function dockerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: dockerHost };
}

if (process.env.CI === 'true' && (!haveDocker || !busyboxRootfsTar)) {
  throw new Error('CI=true: DOCKER_HOST and the busybox rootfs must come from the harness; run `npm test`');
}

/*
 * Registries (registry.ts, started by `npm test` in the peers stage, or by hand:
 * `eval $(node --import tsx e2e/harness/registry.ts | grep export)` in one shell… it keeps running):
 *   DOCKER_ENVS_REGISTRY_OPEN=127.0.0.1:PORT        open registry
 *   DOCKER_ENVS_REGISTRY_BASIC=127.0.0.1:PORT       htpasswd; DOCKER_ENVS_REGISTRY_BASIC_USER/_PASS may push
 *   DOCKER_ENVS_REGISTRY_TOKEN=127.0.0.1:PORT       bearer tokens; DOCKER_ENVS_REGISTRY_TOKEN_USER/_PASS may push,
 *   DOCKER_ENVS_REGISTRY_TOKEN_READER=user:pass     may only pull; DOCKER_ENVS_TOKEN_SERVER=127.0.0.1:PORT
 *   DOCKER_ENVS_FAULTY=127.0.0.1:PORT               fault upstream in front of the open registry (fault-upstream.ts)
 *   DOCKER_ENVS_REGISTRY_IMAGES={name: {ref, mediaType, platforms, compression}} (images.ts), served by all three
 */

/** One registry handed to the tests. */
export interface HarnessRegistry { host: string; creds?: { user: string; password: string } }

const regEnv = (k: string): string | undefined => process.env[`DOCKER_ENVS_${k}`];

/** The harness registries, when `npm test` (or registry.ts) started them. */
export const registries: { open: HarnessRegistry; basic: HarnessRegistry; token: HarnessRegistry; tokenReader: HarnessRegistry } | undefined =
  regEnv('REGISTRY_OPEN') && regEnv('REGISTRY_BASIC') && regEnv('REGISTRY_TOKEN')
    ? {
      open: { host: regEnv('REGISTRY_OPEN')! },
      basic: { host: regEnv('REGISTRY_BASIC')!, creds: { user: regEnv('REGISTRY_BASIC_USER')!, password: regEnv('REGISTRY_BASIC_PASS')! } },
      token: { host: regEnv('REGISTRY_TOKEN')!, creds: { user: regEnv('REGISTRY_TOKEN_USER')!, password: regEnv('REGISTRY_TOKEN_PASS')! } },
      tokenReader: {
        host: regEnv('REGISTRY_TOKEN')!,
        creds: { user: regEnv('REGISTRY_TOKEN_READER')!.split(':')[0], password: regEnv('REGISTRY_TOKEN_READER')!.split(':').slice(1).join(':') },
      },
    }
    : undefined;

/** True when the harness registries are running for this test run. */
export const haveRegistries = !!registries;

/** The fault upstream's `127.0.0.1:PORT` (in front of the open registry), or undefined. */
export const faultyRegistry: string | undefined = regEnv('FAULTY');

/** The token server's `127.0.0.1:PORT`, or undefined. */
export const tokenServerHost: string | undefined = regEnv('TOKEN_SERVER');

/** The seeded images (`repo:tag` refs without a host), by name; {} outside the harness. */
export const registryImages: Record<string, { ref: string; mediaType: string; platforms: string[]; compression: 'gzip' | 'zstd' }> =
  JSON.parse(regEnv('REGISTRY_IMAGES') ?? '{}') as Record<string, { ref: string; mediaType: string; platforms: string[]; compression: 'gzip' | 'zstd' }>;

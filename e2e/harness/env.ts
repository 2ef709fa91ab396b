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

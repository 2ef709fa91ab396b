/**
 * Vitest for the integration stage of `npm test`: `e2e/integration/**` and the harness's own tests, run
 * with DOCKER_HOST pointing at the harness daemon (see `e2e/harness/env.ts`).
 * `npm test` runs it as two lanes side by side (DOCKER_ENVS_INTEGRATION_LANE): `daemon`, the files that use
 * the harness daemon or registries, and `daemon-free`, the files that use neither (they start what they need
 * themselves); each lane runs its files one at a time. Without the variable every file runs, one at a time.
 */
import { configDefaults, defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { repoRoot } from './util.js';

/** Files that use neither the harness daemon nor the harness registries (they do not import e2e/harness/env). */
export const daemonFreeFiles = [
  'e2e/integration/bench-quick.test.ts',
  'e2e/integration/cli-registry-options.test.ts',
  'e2e/integration/pip-build.test.ts',
  'e2e/integration/proxy-netns.test.ts',
  'e2e/integration/sample-assets.test.ts',
];

const all = ['e2e/integration/**/*.test.ts', 'e2e/harness/**/*.test.ts'];
const lane = process.env.DOCKER_ENVS_INTEGRATION_LANE || undefined;
if (lane !== undefined && lane !== 'daemon' && lane !== 'daemon-free') throw new Error(`DOCKER_ENVS_INTEGRATION_LANE=${lane}: expected daemon or daemon-free`);

export default defineConfig({
  ...base,
  root: repoRoot,
  test: {
    ...base.test,
    include: lane === 'daemon-free' ? daemonFreeFiles : all,
    exclude: [...configDefaults.exclude, ...(lane === 'daemon' ? daemonFreeFiles : [])],
    // One daemon, two cores: files that load images into it run one at a time.
    fileParallelism: false,
  },
});

/**
 * Vitest for the integration stage of `npm test`: `e2e/integration/**` and the harness's own tests, run
 * with DOCKER_HOST pointing at the harness daemon (see `e2e/harness/env.ts`).
 */
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { repoRoot } from './util.js';

export default defineConfig({
  ...base,
  root: repoRoot,
  test: {
    ...base.test,
    include: ['e2e/integration/**/*.test.ts', 'e2e/harness/**/*.test.ts'],
    // One daemon, two cores: files that load images into it run one at a time.
    fileParallelism: false,
  },
});

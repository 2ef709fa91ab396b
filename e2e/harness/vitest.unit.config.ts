/**
 * Vitest for the unit stage of `npm test`: colocated tests under src/, workers/, proxy/ and eslint-rules/, and
 * the fixed-seed fuzz run (no daemon needed). One fork per core: Vitest's default leaves a core for its own
 * process, which on a 2-core machine runs every file one after the other while that process mostly waits.
 */
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { repoRoot } from './util.js';

export default defineConfig({
  ...base,
  root: repoRoot,
  test: {
    ...base.test,
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'workers/**/*.test.ts', 'proxy/**/*.test.ts', 'eslint-rules/**/*.test.ts', 'e2e/fuzz/**/*.test.ts'],
    maxWorkers: availableParallelism(),
  },
});

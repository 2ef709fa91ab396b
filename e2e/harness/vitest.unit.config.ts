/** Vitest for the unit stage of `npm test`: colocated tests under src/, workers/, proxy/ and eslint-rules/, and the fixed-seed fuzz run (no daemon needed). */
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { repoRoot } from './util.js';

export default defineConfig({
  ...base,
  root: repoRoot,
  test: { ...base.test, include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'workers/**/*.test.ts', 'proxy/**/*.test.ts', 'eslint-rules/**/*.test.ts', 'e2e/fuzz/**/*.test.ts'] },
});

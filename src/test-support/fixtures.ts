/**
 * Locates the shared third-party fixtures (`../shared/fixtures` beside the checkout).
 * Tests that need them call `fixturesOrSkip()`: where the folder is absent they are skipped with a
 * clear message, except under CI=true, where a missing folder is a failure.
 */
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = process.env.DOCKER_ENVS_FIXTURES ?? resolve(repoRoot, '../shared/fixtures');
export const haveFixtures = existsSync(resolve(fixturesDir, 'CATALOGUE.md'));

if (!haveFixtures && process.env.CI === 'true') {
  throw new Error(`shared fixtures not found at ${fixturesDir} (CI=true requires them)`);
}
if (!haveFixtures) {
  console.warn(`[fixtures] ${fixturesDir} is absent: tests that need the shared fixtures are skipped`);
}

/** Absolute path of a fixture, given its path under the fixtures folder. */
export function fixture(rel: string): string {
  return resolve(fixturesDir, rel);
}

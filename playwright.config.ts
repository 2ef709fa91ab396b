/**
 * Playwright: Debian's Chromium (`/usr/bin/chromium`; `npx playwright install` cannot download here) against
 * the e2e build (`vite.e2e.config.ts`: the app plus `e2e/pages/*.html`) served by `src/serve.ts` on loopback.
 * Specs are `e2e/*.spec.ts`. Host names other than loopback do not resolve inside the browser, so a spec
 * cannot reach the network by accident. `npm test` makes the e2e build while the integration stage runs and
 * says so with E2E_DIST_BUILT=1; the web server then only serves it.
 */
import { defineConfig, devices } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 4319);
const baseURL = `http://127.0.0.1:${port}`;
const ci = process.env.CI === 'true';
const build = process.env.E2E_DIST_BUILT === '1' ? '' : 'npx vite build --config vite.e2e.config.ts --logLevel warn && ';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  // Waits for a state the page reaches on its own (an archive indexed, a build settled). Under a loaded CI
  // machine the default 5 s is a timing assumption, not a check; no spec asserts on speed (the bench does).
  expect: { timeout: 20_000 },
  fullyParallel: true,
  forbidOnly: ci,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `${build}node --import tsx src/serve.ts`,
    env: { DIST_DIR: '.cache/e2e-dist', PORT: String(port), HOST: '127.0.0.1' },
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});

/**
 * The solver in a Chromium worker against the same solve in Node (issue 5: target ≤ 1.2×):
 * `python=3.6 numpy scipy pandas` on conda's index4.json (5643 records, wrapped as linux-64 and noarch
 * repodata), served on loopback to both; rattler's wasm in both. Best of five runs after a warm-up, each
 * run fetching and parsing the repodata as a build does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { timedSolves } from '../../e2e/pages/timed-solve.js';
import { fixture, haveFixtures } from '../../src/test-support/fixtures.js';
import { openBenchBrowser } from '../browser.js';
import type { BenchRow } from '../table.js';

const SPECS = ['python=3.6', 'numpy', 'scipy', 'pandas'];
const RUNS = 6; // the first is a warm-up (wasm compile, first fetch)

/** index4.json split by subdir into repodata.json documents, served by a Hono app under /index4. */
function index4App(): Hono {
  const index4 = JSON.parse(readFileSync(fixture('conda/tests/data/index4.json'), 'utf8')) as Record<string, { subdir: string }>;
  const docs = new Map(['linux-64', 'noarch'].map((sub) => [sub, JSON.stringify({
    info: { subdir: sub }, packages: Object.fromEntries(Object.entries(index4).filter(([, r]) => r.subdir === sub)),
  })]));
  const app = new Hono();
  app.get('/:sub/repodata.json', (c) => (docs.has(c.req.param('sub')) ? c.body(docs.get(c.req.param('sub'))!, 200, { 'content-type': 'application/json' }) : c.notFound()));
  return app;
}

const best = (times: number[]) => Math.min(...times.slice(1));

export function solveRows(opts: { log: (s: string) => void }): BenchRow[] {
  return [{
    name: 'solve python=3.6 numpy scipy pandas, index4.json (Chromium worker vs Node)',
    target: '≤ 1.2× Node',
    async run() {
      if (!haveFixtures) throw new Error('the shared fixtures are absent (conda/tests/data/index4.json)');
      const repo = resolve(import.meta.dirname, '../..');
      const dist = join(repo, '.cache', 'bench', 'e2e-dist');
      execFileSync(join(repo, 'node_modules', '.bin', 'vite'), ['build', '--config', 'vite.e2e.config.ts', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit' });
      const b = await openBenchBrowser(dist, { '/index4': index4App() });
      try {
        const channel = `${b.url}index4`;
        opts.log('[solve] in Node');
        const node = await timedSolves(SPECS, channel, 'linux-64', RUNS);
        opts.log('[solve] in a Chromium worker');
        const page = await b.context.newPage();
        await page.goto(`${b.url}e2e/pages/build.html`);
        const web = await page.evaluate(([s, c, n]) => (window as unknown as { __api: { timedSolves(s: string[], c: string, sub: string, n: number): Promise<{ times: number[]; packages: number }> } })
          .__api.timedSolves(s as string[], c as string, 'linux-64', n as number), [SPECS, channel, RUNS] as const);
        if (web.packages !== node.packages) throw new Error(`the browser solved ${web.packages} packages, Node ${node.packages}`);
        const [ours, peer] = [best(web.times), best(node.times)];
        return {
          ours: `${ours.toFixed(0)} ms`, peer: `${peer.toFixed(0)} ms`, ratio: ours / peer, pass: ours / peer <= 1.2,
          notes: `${node.packages} packages; best of ${RUNS - 1} after a warm-up (Chromium ${web.times.map((t) => t.toFixed(0)).join('/')} ms, Node ${node.times.map((t) => t.toFixed(0)).join('/')} ms), repodata fetched and parsed each run`,
        };
      } finally {
        await b.close();
      }
    },
  }];
}

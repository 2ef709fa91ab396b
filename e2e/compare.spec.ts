/**
 * The Compare view end to end in Chromium: two images the CLI built from the offline sample (busybox base,
 * the sample channel; A with hello-script 1.0 and hello-elf, B with hello-script 2.0 and hello-py, another
 * label and a command) are picked as tarballs, and then B is taken from a real registry on loopback through
 * the app's proxy. The view shows what the CLI's `diff --json` reports for the same pair: packages added,
 * removed and changed, config differences, layers shared; axe-core finds no serious or critical violation in it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { createProxyApp, defaultProxyConfig } from '../proxy';
import { startServer } from '../src/serve';
import type { ImageComparison } from '../src/core/inspect/compare';
import { freePort } from './harness/registry';

const BASE = 'public/sample/base/busybox.tar';
const CHANNEL = './public/sample/channel';

test.describe('the Compare view', () => {
  test.describe.configure({ mode: 'serial' });
  let tmp: string;
  let app: { url: string; close(): Promise<void> };
  let reg: ChildProcess | undefined;
  let regHost: string;
  let cli: ImageComparison;
  let a: string;
  let b: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    tmp = mkdtempSync(join(tmpdir(), 'compare-spec-'));
    const build = (out: string, tag: string, args: string[]) => execFileSync('node', ['bin/docker-envs.js', 'build', '-b', BASE, '-i', tag, '-c', CHANNEL, ...args,
      '-o', out, '--cache', join(tmp, 'cache')], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, stdio: 'pipe' });
    a = join(tmp, 'a.tar');
    b = join(tmp, 'b.tar');
    build(a, 'compare/a:1', ['-p', 'hello-script=1.0', '-p', 'hello-elf', '--label', 'stage=a']);
    build(b, 'compare/b:1', ['-p', 'hello-script=2.0', '-p', 'hello-py', '--label', 'stage=b', '--cmd', '["hello-prefix"]']);
    cli = JSON.parse(execFileSync('node', ['bin/docker-envs.js', 'diff', a, b, '--json'], { encoding: 'utf8' })) as ImageComparison;
    const allowHttp: string[] = [];
    if (existsSync('/usr/bin/docker-registry')) {
      regHost = `127.0.0.1:${await freePort()}`;
      writeFileSync(join(tmp, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/data\nhttp:\n  addr: ${regHost}\n`);
      reg = spawn('docker-registry', ['serve', join(tmp, 'config.yml')], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await fetch(`http://${regHost}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${b}`, `docker://${regHost}/compare/b:1`]);
      allowHttp.push(regHost);
    }
    app = await startServer({ staticRoot: resolve('.cache/e2e-dist'), port: 0, routes: { '/proxy': createProxyApp({ ...defaultProxyConfig(), allowHttp }) } });
  });
  test.afterAll(async () => {
    await app?.close();
    reg?.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** What the view shows, in the CLI's JSON terms. */
  async function shown(page: Page) {
    const rows = (testId: string) => page.getByTestId(testId).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const packages = await page.getByTestId('compare-packages').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => {
      const td = [...tr.querySelectorAll('td')].map((c) => c.textContent ?? '');
      return { change: (tr as HTMLElement).dataset.change, prefix: td[1], name: td[2], a: td[3], b: td[4] };
    }));
    return {
      packages: packages.sort((x, y) => (x.name < y.name ? -1 : 1)),
      config: (await rows('compare-config')).map(([key, va, vb]) => ({ key, a: va, b: vb })),
      summary: await page.getByTestId('compare-layers-summary').textContent(),
      configDigests: (await rows('compare-images')).map((r) => r[2]),
    };
  }

  /** The CLI's comparison in the view's terms. */
  function expected(c: ImageComparison) {
    const vb = (p?: { version: string; build: string }) => (p ? `${p.version} ${p.build}` : '');
    const packages = [
      ...c.conda.added.map((p) => ({ change: 'added', prefix: `/${p.prefix}`, name: p.name, a: '', b: vb(p) })),
      ...c.conda.removed.map((p) => ({ change: 'removed', prefix: `/${p.prefix}`, name: p.name, a: vb(p), b: '' })),
      ...c.conda.changed.map((x) => ({ change: 'changed', prefix: `/${x.a.prefix}`, name: x.a.name, a: vb(x.a), b: vb(x.b) })),
    ].sort((x, y) => (x.name < y.name ? -1 : 1));
    return {
      packages,
      config: c.config.map((d) => ({ key: d.key, a: d.a ?? '(none)', b: d.b ?? '(none)' })),
      summary: expect.stringMatching(new RegExp(`^${c.layers.shared.length} shared \\(.+\\), ${c.layers.onlyA.length} only in A, ${c.layers.onlyB.length} only in B\\.$`)),
      configDigests: [c.a.configDigest, c.b.configDigest],
    };
  }

  test('two tarballs: the packages, config and shared layers the CLI\'s diff --json reports', async ({ page }) => {
    test.setTimeout(120_000);
    // what the pair holds, independently of either implementation
    expect(cli.conda.removed.map((p) => p.name)).toEqual(['hello-elf']);
    expect(cli.conda.changed.map((x) => `${x.a.name} ${x.a.version}→${x.b.version}`)).toEqual(['hello-script 1.0→2.0']);
    expect(cli.conda.added.map((p) => p.name).sort()).toEqual(['hello-py', 'python']);
    expect(cli.layers.shared.length).toBeGreaterThan(0);
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Compare' }).first().click();
    await page.getByTestId('compare-a-file').setInputFiles(a);
    await page.getByTestId('compare-b-file').setInputFiles(b);
    await page.getByTestId('compare-button').click();
    await expect(page.getByTestId('compare-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    const view = await shown(page);
    expect(view).toEqual(expected(cli));
    expect(view.config.map((d) => d.key)).toEqual(expect.arrayContaining(['Label stage', 'Cmd']));
    await expect(page.getByTestId('compare-layers-shared').locator('tbody tr')).toHaveCount(cli.layers.shared.length);
    // the view with its result: no serious or critical accessibility violation
    const axe = await new AxeBuilder({ page }).include('.compare-view').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });

  test('B from a registry through the proxy: the same comparison', async ({ page }) => {
    test.setTimeout(120_000);
    test.skip(!reg, 'docker-registry (Debian) is not installed');
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Compare' }).first().click();
    await page.getByTestId('compare-a-file').setInputFiles(a);
    await page.getByTestId('compare-b-ref').fill(`${regHost}/compare/b:1`);
    await page.getByTestId('compare-button').click();
    await expect(page.getByTestId('compare-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    expect(await shown(page)).toEqual(expected(cli));
    await expect(page.getByTestId('compare-images').locator('tbody tr').nth(1)).toContainText(`${regHost}/compare/b:1`);
  });
});

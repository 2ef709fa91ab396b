/**
 * The bench's browser side: builds the app (`vite build` into `.cache/bench/dist`), serves it on
 * loopback with the project's own server, launches Debian's Chromium through Playwright in a persistent
 * context with a fresh user-data-dir (the FACTS.md flags), and reads the renderer processes' memory
 * high-water marks from /proc.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type StartServerOptions } from '../src/serve.js';

const repo = resolve(import.meta.dirname, '..');

/** The Chromium flags from FACTS.md, plus a resolver rule that keeps the page on loopback. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

const built = new Set<string>();

/** Builds the app (unminified for readable profiles), once per bench run; returns the folder of static files. */
export function buildApp(minify = true, outDir = join(repo, '.cache', 'bench', minify ? 'dist' : 'dist-unminified')): string {
  if (built.has(outDir)) return outDir;
  const args = ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn', ...(minify ? [] : ['--minify', 'false'])];
  execFileSync(join(repo, 'node_modules', '.bin', 'vite'), args, { cwd: repo, stdio: 'inherit' });
  built.add(outDir);
  return outDir;
}

/** A served app and a fresh Chromium on it; close() ends both and removes the profile. */
export interface BenchBrowser {
  url: string;
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}

/**
 * Serves `staticRoot` (and `routes`, e.g. the proxy) on a free loopback port and opens Chromium with a fresh
 * persistent profile, made in `profileParent` (default: the OS temp folder); the profile holds OPFS, so a row
 * whose peer works on tmpfs puts it there too.
 */
export async function openBenchBrowser(staticRoot: string, routes?: StartServerOptions['routes'], profileParent = tmpdir()): Promise<BenchBrowser> {
  const server = await startServer({ staticRoot, port: 0, host: '127.0.0.1', ...(routes ? { routes } : {}) });
  const userDataDir = mkdtempSync(join(profileParent, 'docker-envs-bench-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    return {
      url: server.url,
      context,
      userDataDir,
      async close() {
        await context.close();
        await server.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a `/proc/<pid>/status` field in kB as bytes (undefined when the process is gone). */
function statusBytes(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** pid → parent pid and command line, for every process we can read. */
function processTable(): Map<number, { ppid: number; cmdline: string }> {
  const table = new Map<number, { ppid: number; cmdline: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      table.set(Number(name), { ppid, cmdline });
    } catch { /* exited meanwhile */ }
  }
  return table;
}

/**
 * The renderer processes of the browser that uses `userDataDir` that can host pages: the browser process
 * is found by its `--user-data-dir`, then its descendants with `--type=renderer` (dedicated workers run
 * inside them), except the browser UI's own renderer.
 */
export function findRenderers(userDataDir: string): number[] {
  const table = processTable();
  const browsers = [...table].filter(([, p]) => p.cmdline.includes(`--user-data-dir=${userDataDir}`) && !p.cmdline.includes('--type=')).map(([pid]) => pid);
  const inTree = new Set(browsers);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table) if (!inTree.has(pid) && inTree.has(p.ppid)) { inTree.add(pid); grew = true; }
  }
  // `--top-chrome-webui` renderers draw the browser's own UI, not the page: left out
  return [...inTree].filter((pid) => {
    const cmd = table.get(pid)?.cmdline ?? '';
    return cmd.includes('--type=renderer') && !cmd.includes('--top-chrome-webui');
  });
}

/** A renderer's memory at one moment, in bytes: RSS split as /proc does (anonymous, file-backed, shared memory such as Mojo data pipes). */
export interface RendererMemory { hwm: number; rss: number; anon: number; file: number; shmem: number }

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS (Linux `clear_refs` 5), so that a later peak is the
 * peak of what followed; false where the kernel refuses.
 */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Reads one renderer's VmHWM, VmRSS, RssAnon and RssFile (undefined when it is gone). */
export function readRendererMemory(pid: number): RendererMemory | undefined {
  const hwm = statusBytes(pid, 'VmHWM');
  if (hwm === undefined) return undefined;
  return { hwm, rss: statusBytes(pid, 'VmRSS') ?? 0, anon: statusBytes(pid, 'RssAnon') ?? 0, file: statusBytes(pid, 'RssFile') ?? 0, shmem: statusBytes(pid, 'RssShmem') ?? 0 };
}

/**
 * Samples renderer memory while a measurement runs: `now()` gives each renderer's VmHWM so far (bytes),
 * `stop()` ends sampling and gives each renderer's final VmHWM.
 */
export function sampleRendererMemory(userDataDir: string, everyMs = 100): { now(): Map<number, number>; stop(): Map<number, number> } {
  const peaks = new Map<number, number>();
  const sample = () => {
    for (const pid of findRenderers(userDataDir)) {
      const hwm = statusBytes(pid, 'VmHWM');
      if (hwm !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, hwm));
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    now() {
      sample();
      return new Map(peaks);
    },
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** One JavaScript context's heap (CDP `Runtime.getHeapUsage`), in bytes: V8 heap used and committed, ArrayBuffer backing stores. */
export interface JsHeap { target: string; used: number; total: number; arrayBuffers: number }

interface HeapUsage { usedSize: number; totalSize: number; backingStorageSize?: number }

/**
 * The V8 heaps of a page and of its dedicated workers, read over CDP; with `collect`, each is collected
 * first (`HeapProfiler.collectGarbage`), so what is left is what the page holds. Worker targets are reached
 * through `Target.sendMessageToTarget` (the page's CDP session has no session of its own for them).
 */
export async function readJsHeaps(page: Page, collect = false): Promise<JsHeap[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const of = (target: string, h: HeapUsage): JsHeap => ({ target, used: h.usedSize, total: h.totalSize, arrayBuffers: h.backingStorageSize ?? 0 });
    if (collect) await cdp.send('HeapProfiler.collectGarbage');
    const out = [of('page', await cdp.send('Runtime.getHeapUsage') as HeapUsage)];
    const { targetInfos } = await cdp.send('Target.getTargets') as { targetInfos: Array<{ targetId: string; type: string; title: string }> };
    let nextId = 1;
    for (const t of targetInfos.filter((x) => x.type === 'worker')) {
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false }) as { sessionId: string };
      const call = (method: string) => new Promise<unknown>((ok) => {
        const id = nextId++;
        const on = (e: { sessionId: string; message: string }) => {
          const m = JSON.parse(e.message) as { id?: number; result?: unknown };
          if (e.sessionId === sessionId && m.id === id) { cdp.off('Target.receivedMessageFromTarget', on); ok(m.result); }
        };
        cdp.on('Target.receivedMessageFromTarget', on);
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
      });
      if (collect) await call('HeapProfiler.collectGarbage');
      out.push(of(`worker ${t.title}`, await call('Runtime.getHeapUsage') as HeapUsage));
      await cdp.send('Target.detachFromTarget', { sessionId });
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

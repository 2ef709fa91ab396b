/**
 * Where the time goes: a Chromium trace (CDP `Tracing`, V8 sampling profiler category) of one page
 * action, summarised as the top functions by self time over every thread of the page's renderer
 * (main thread and workers).
 */
import type { CDPSession, Page } from '@playwright/test';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; parent?: number }
interface TraceEvent { name: string; id?: string; pid: number; tid: number; args?: { data?: { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] } } }

/** One line of the summary. */
export interface HotFunction { name: string; selfMs: number; share: number }

/** One thread's busy time under the trace, and the script it spent most of it in (which worker it is). */
export interface ThreadBusy { busyMs: number; script: string }

/** What a trace shows: the top functions by self time over every thread, and each thread's busy time, busiest first. */
export interface TraceSummary { hot: HotFunction[]; threads: ThreadBusy[] }

/** Runs `action` under a V8 CPU trace of the page's renderer; returns the top functions by self time and each thread's busy time. */
export async function profileAction(page: Page, action: () => Promise<void>, top = 15): Promise<TraceSummary> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => { events.push(...(e.value as unknown as TraceEvent[])); });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['disabled-by-default-v8.cpu_profiler', 'v8'], excludedCategories: ['*'] },
  });
  try {
    await action();
  } finally {
    await endTracing(cdp);
    await cdp.detach();
  }
  return summarizeTrace(events, top);
}

/** Ends tracing and waits until every buffered event has been delivered. */
function endTracing(cdp: CDPSession): Promise<void> {
  return new Promise((ok, fail) => {
    cdp.once('Tracing.tracingComplete', () => ok());
    cdp.send('Tracing.end').catch(fail);
  });
}

/** Folds the trace's ProfileChunk events into self time per function (name, file, line) and busy time per thread (profile). */
export function summarizeTrace(events: TraceEvent[], top = 15): TraceSummary {
  const nodes = new Map<string, Map<number, ProfileNode>>(); // per profile id
  const self = new Map<string, number>();
  const perThread = new Map<string, { busy: number; scripts: Map<string, number> }>();
  let total = 0;
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || !e.args?.data) continue;
    const key = `${e.pid}:${e.id}`;
    const known = nodes.get(key) ?? new Map<number, ProfileNode>();
    nodes.set(key, known);
    for (const n of e.args.data.cpuProfile?.nodes ?? []) known.set(n.id, n);
    const samples = e.args.data.cpuProfile?.samples ?? [];
    const deltas = e.args.data.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      // each delta is the time before its sample; attribute it to that sample's function
      const us = Math.max(0, deltas[i] ?? 0);
      const f = known.get(samples[i])?.callFrame;
      if (f?.functionName === '(idle)') continue; // share = of busy time
      const name = f ? labelOf(f) : '(unknown)';
      self.set(name, (self.get(name) ?? 0) + us);
      total += us;
      const t = perThread.get(key) ?? { busy: 0, scripts: new Map<string, number>() };
      perThread.set(key, t);
      t.busy += us;
      const script = f?.url ? scriptOf(f.url) : '';
      if (script) t.scripts.set(script, (t.scripts.get(script) ?? 0) + us);
    }
  }
  const hot = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: total ? us / total : 0 }));
  const threads = [...perThread.values()]
    .map((t) => ({ busyMs: t.busy / 1000, script: [...t.scripts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '(native only)' }))
    .filter((t) => t.busyMs >= 1)
    .sort((a, b) => b.busyMs - a.busyMs);
  return { hot, threads };
}

/** A script's file name without its build hash (`build.worker-B579XRdU.js` → `build.worker.js`). */
const scriptOf = (url: string): string => url.replace(/^.*\//, '').replace(/\?.*$/, '').replace(/-[\w-]{8}\.js$/, '.js');

function labelOf(f: CallFrame): string {
  const file = f.url ? f.url.replace(/^.*\/(assets\/)?/, '').replace(/\?.*$/, '') : '';
  const line = Number.isFinite(f.lineNumber) ? `:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}${line}` : ''}`;
}

/** The summary as text lines for the bench notes: each thread's busy time (with the script it ran most), then the top functions. */
export function formatProfile(hot: HotFunction[], threads: ThreadBusy[] = []): string {
  const busy = threads.map((t) => `    busy ${t.busyMs.toFixed(0).padStart(6)} ms  thread mostly in ${t.script}`);
  return [...busy, ...hot.map((h) => `    ${h.selfMs.toFixed(0).padStart(6)} ms ${(h.share * 100).toFixed(1).padStart(5)} %  ${h.name}`)].join('\n');
}

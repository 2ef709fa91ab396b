/**
 * Where the time went in a Node process: the `.cpuprofile` files `node --cpu-prof --cpu-prof-dir DIR`
 * writes (one per thread: the main thread and each worker thread), summed by function self time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HotFunction } from './profile.js';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Busy time per thread (ms) and the top functions by self time over every profile in `dir` (idle left out). */
export function summarizeCpuProfiles(dir: string, top = 15): { threads: number[]; hot: HotFunction[] } {
  const self = new Map<string, number>();
  const threads: number[] = [];
  let total = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    let busy = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const c = byId.get(p.samples[i]);
      if (!c || c.functionName === '(idle)') continue;
      const us = Math.max(0, p.timeDeltas[i] ?? 0);
      const file = c.url ? c.url.replace(/^.*\/(node_modules\/)?/, '') : '';
      const name = `${c.functionName || '(anonymous)'}${file ? ` ${file}:${c.lineNumber + 1}` : ''}`;
      self.set(name, (self.get(name) ?? 0) + us);
      busy += us;
    }
    threads.push(busy / 1000);
    total += busy;
  }
  const hot = [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, selfMs: us / 1000, share: total ? us / total : 0 }));
  return { threads, hot };
}

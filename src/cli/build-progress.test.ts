import { describe, expect, it } from 'vitest';
import { buildProgress } from './build';

const events: Array<[string, string]> = [
  ['solve', 'numpy for linux-64 (__glibc 2.36)'],
  ['fetch', '3 packages'],
  ['fetch', 'a-1-0.conda (cached)'], ['fetch', 'b-1-0.conda'], ['fetch', 'c-1-0.conda'],
  ['install', 'into /opt/conda: 4 layers'],
  ['write', 'out.tar (while the layers are built)'],
  ['layers', '1/3: a-1-0.conda'], ['layers', '2/3: b-1-0.conda'], ['layers', '3/3: c-1-0.conda'],
];

describe('the build progress on the CLI', () => {
  it('elsewhere than a terminal (logs, CI): a line per event', () => {
    const lines: string[] = [];
    const p = buildProgress((s) => lines.push(s), { write: () => { throw new Error('not a terminal'); }, isTTY: false });
    for (const [s, d] of events) p.event(s, d);
    p.end();
    expect(lines).toEqual(events.map(([s, d]) => `${s}: ${d}`));
  });

  it('on a terminal: stages on their own lines, per-package events on one counter line rewritten in place and cleared at the end', () => {
    const lines: string[] = [];
    let screen = '';
    const p = buildProgress((s) => lines.push(s), { write: (s: string) => { screen += s; }, isTTY: true });
    for (const [s, d] of events) p.event(s, d);
    p.end();
    expect(lines).toEqual(['solve: numpy for linux-64 (__glibc 2.36)', 'fetch: 3 packages', 'install: into /opt/conda: 4 layers', 'write: out.tar (while the layers are built)']);
    // the last counts are always shown (throttling never hides a stage's end), and the line is cleared last
    expect(screen).toContain('\r\x1b[K  fetch 3/3: c-1-0.conda');
    expect(screen).toContain('\r\x1b[K  layers 3/3: c-1-0.conda');
    expect(screen.endsWith('\r\x1b[K')).toBe(true);
    expect(screen).not.toContain('\n');
  });
});

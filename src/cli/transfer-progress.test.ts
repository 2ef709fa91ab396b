/** Registry transfers on the CLI: a bar rewritten in place on a terminal, a plain line per blob elsewhere. */
import { describe, expect, it } from 'vitest';
import { transferProgress } from './transfer-progress';

const A = 'sha256:aaaaaaaaaaaa' + 'a'.repeat(52);
const B = 'sha256:bbbbbbbbbbbb' + 'b'.repeat(52);
// two blobs, each reported chunk by chunk; the last report of a blob is its whole size
const steps: Array<[string, number, number]> = [[A, 1024, 4096], [B, 2048, 2048], [A, 2048, 4096], [A, 4096, 4096], [A, 4096, 4096]];

describe('the transfer progress', () => {
  it('elsewhere than a terminal: one line as each blob completes (once), no carriage return', () => {
    let text = '';
    const p = transferProgress({ write: (s: string) => { text += s; }, isTTY: false }, { doing: 'uploading', done: 'uploaded' });
    for (const s of steps) p.onProgress(...s);
    p.end();
    expect(text).toBe('  uploaded sha256:bbbbbbbbbbbb (2.0 kB)\n  uploaded sha256:aaaaaaaaaaaa (4.0 kB)\n');
  });

  it('on a terminal: the totals so far on one line rewritten in place, the last always shown, cleared at the end', () => {
    let screen = '';
    const p = transferProgress({ write: (s: string) => { screen += s; }, isTTY: true }, { doing: 'downloading', done: 'downloaded' });
    for (const s of steps) p.onProgress(...s);
    p.end();
    expect(screen.startsWith('\r\x1b[K  downloading 1.0 kB / 4.0 kB (1 blobs)\r')).toBe(true);
    expect(screen).toContain('\r\x1b[K  downloading 6.0 kB / 6.0 kB (2 blobs)');
    expect(screen.endsWith('\r\x1b[K')).toBe(true);
    expect(screen).not.toContain('\n');
  });

  it('nowhere to write: nothing, and no error', () => {
    const p = transferProgress(undefined, { doing: 'uploading', done: 'uploaded' });
    for (const s of steps) p.onProgress(...s);
    p.end();
  });
});

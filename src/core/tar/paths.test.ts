/** normalizeEntryPath and sortTarEntries (GNU tar --sort=name as the order oracle). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GNU_TAR } from './gnu-oracle.node';
import { normalizeEntryPath, sortTarEntries } from './index';

describe('normalizeEntryPath', () => {
  it.each([
    ['./a/b/', { path: 'a/b' }],
    ['a//b/./c', { path: 'a/b/c' }],
    ['/etc/passwd', { path: 'etc/passwd', unsafe: 'absolute' }],
    ['//tmp/moo', { path: 'tmp/moo', unsafe: 'absolute' }],
    ['../moo', { path: '../moo', unsafe: 'parent-traversal' }],
    ['tmp/../../moo', { path: 'tmp/../../moo', unsafe: 'parent-traversal' }],
    ['a/..b', { path: 'a/..b' }],
    ['./', { path: '', unsafe: 'empty' }],
    ['', { path: '', unsafe: 'empty' }],
    ['a/b', { path: 'a/b' }],
    ['dir/', { path: 'dir' }],
    ['...', { path: '...' }],
    ['a/.b/c.', { path: 'a/.b/c.' }],
    ['a/.', { path: 'a' }],
    ['a/..', { path: 'a/..', unsafe: 'parent-traversal' }],
    ['.', { path: '', unsafe: 'empty' }],
    // the root itself (kaniko writes '/' first in every layer), not an absolute path
    ['/', { path: '', unsafe: 'empty' }],
    ['//', { path: '', unsafe: 'empty' }],
    ['/./', { path: '', unsafe: 'empty' }],
    ['/a', { path: 'a', unsafe: 'absolute' }],
    ['a//', { path: 'a' }],
  ])('%s', (name, want) => {
    expect(normalizeEntryPath(name)).toEqual(want);
  });
});

describe('sortTarEntries', () => {
  it('orders like GNU tar --sort=name (a directory right before its contents)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-sort-'));
    try {
      const files = ['a/b/c', 'a-c', 'a0', 'B', 'b', 'é', 'z.txt', 'a/b-x', 'a/bb', 'dir.d/x', 'dir/y'];
      for (const f of files) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), '');
      }
      const r = spawnSync(GNU_TAR, ['--sort=name', '-cf', '-', '-C', dir, '.'], { env: { LC_ALL: 'C' } });
      const list = spawnSync(GNU_TAR, ['--quoting-style=literal', '-tf', '-'], { input: r.stdout, env: { LC_ALL: 'C' } }).stdout.toString('utf8');
      const gnu = list.split('\n').filter((l) => l && l !== './').map((l) => l.replace(/^\.\//, '').replace(/\/$/, ''));
      const shuffled = [...gnu].reverse().map((name) => ({ name }));
      expect(sortTarEntries(shuffled).map((e) => e.name)).toEqual(gnu);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops exact duplicates only, keeping the order of same-path entries', () => {
    const a1 = { name: 'x', v: 1 };
    const a2 = { name: 'x', v: 2 };
    const out = sortTarEntries([{ name: 'y', v: 0 }, a1, a2, { name: 'x', v: 1 }, { name: './x/', v: 2 }]);
    expect(out).toEqual([a1, a2, { name: './x/', v: 2 }, { name: 'y', v: 0 }]);
    expect(out[0]).toBe(a1);
  });
});

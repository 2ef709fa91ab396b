import { describe, expect, it } from 'vitest';
import { isCondaMetaPath } from './extract';
import { PathTable } from './path-table';
import { isCondaMetaNode } from './session';

describe('isCondaMetaNode', () => {
  it('agrees with isCondaMetaPath on every path, read from the table\'s nodes', () => {
    const paths = [
      'conda-meta/a-1.0-0.json', 'opt/conda/conda-meta/numpy-1.26-py.json', 'opt/conda/conda-meta/history',
      'opt/conda/conda-meta/.json', 'opt/conda/conda-meta/x.json', 'conda-meta/x.jsonl', 'conda-meta', 'conda-meta/sub/a.json',
      'opt/xconda-meta/a.json', 'opt/conda-meta-x/a.json', 'a.json', '', 'opt/conda/conda-meta/a.JSON', 'conda-meta/ .json',
      'conda-meta/a\n.json', 'conda-meta/conda-meta', 'x/conda-meta/conda-meta.json', 'opt/conda/conda-meta/.wh.a.json',
    ];
    const table = new PathTable();
    let matches = 0;
    for (const p of paths) {
      const want = isCondaMetaPath(p);
      if (want) matches++;
      expect(isCondaMetaNode(table, table.add(p)), p).toBe(want);
    }
    expect(matches).toBeGreaterThan(4);
  });
});

/**
 * A virtualised, keyboard-driven tree of a layer's entries or of the merged filesystem. Rows come from
 * the worker a page at a time (only the pages on screen); collapsing a directory hides its descendants.
 * Whiteouts show as deletions, dangerous entries are flagged and never followed.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { TreeSource } from '../../core/inspect/session';
import type { TreeRow } from '../../core/inspect/tree';
import { formatBytes, formatMode } from '../../core/inspect/format';
import { downloadLayerFile, ROW_PAGE, useTreePages } from '../../queries/inspect-queries';
import { useInspectorStore } from '../../state/inspector-store';

const ROW_HEIGHT = 26;
const EMPTY: string[] = [];

const DANGER: Record<NonNullable<TreeRow['danger']>, string> = {
  'absolute-path': 'absolute path', 'parent-traversal': 'climbs out with ..', 'empty-name': 'empty name',
  'link-escapes': 'link escapes the image', 'through-symlink': 'written through a symlink',
  'path-too-long': 'path too long (over 4096 bytes or 1024 levels)',
};

function RowView({ row, expanded, active, onToggle, onDownload }: { row: TreeRow; expanded: boolean; active: boolean; onToggle(): void; onDownload?(): void }) {
  const isDir = row.type === 'directory';
  return (
    <>
      <span className="mono mode">{formatMode(row.type, row.mode)}</span>
      <span className="mono owner">{row.uid}:{row.gid}</span>
      <span className="num size">{isDir || row.whiteout || row.type === 'symlink' || row.type === 'hardlink' ? '' : formatBytes(row.size)}</span>
      <span className="name" style={{ paddingLeft: `${row.depth * 16}px` }}>
        {row.hasChildren
          ? <button type="button" tabIndex={-1} className="twisty" aria-hidden="true" onClick={onToggle}>{expanded ? '▾' : '▸'}</button>
          : <span className="twisty" />}
        {row.whiteout === 'file' && <><span className="deleted mono">{row.name}</span> <span className="tag del">deleted</span></>}
        {row.whiteout === 'opaque' && <><span className="mono">{row.path}</span> <span className="tag del">opaque: lower contents of /{row.whiteoutTarget} hidden</span></>}
        {!row.whiteout && <span className={`mono${isDir ? ' dir' : ''}`}>{row.name}{isDir ? '/' : ''}</span>}
        {row.linkname && <span className="muted mono"> {row.type === 'hardlink' ? '⇒ link to' : '→'} {row.linkname}</span>}
        {row.danger && <span className="tag danger" title="never followed">⚠ {DANGER[row.danger] ?? row.danger}</span>}
        {row.layer !== undefined && <span className="muted small"> · layer {row.layer}</span>}
        {onDownload && active && <button type="button" tabIndex={-1} className="link small" onClick={onDownload}>download</button>}
      </span>
    </>
  );
}

/** Props: archive id, image, and which tree (a layer index or 'merged'). */
export interface FileTreeProps { id: number; image: number; source: TreeSource }

/** The tree, with a filter box. */
export function FileTree({ id, image, source }: FileTreeProps) {
  const view = `${image}:${source}`;
  const collapsed = useInspectorStore((s) => s.collapsed[view] ?? EMPTY);
  const setCollapsed = useInspectorStore((s) => s.setCollapsed);
  const toggle = useInspectorStore((s) => s.toggleCollapsed);
  const filter = useInspectorStore((s) => s.filter);
  const setFilter = useInspectorStore((s) => s.setFilter);
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [range, setRange] = useState({ from: 0, to: 60 });
  const pages = useTreePages(id, image, source, collapsed, filter, range.from, range.to);
  const total = pages.find((p) => p.data)?.data?.total ?? 0;
  const virt = useVirtualizer({
    count: total, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20,
    onChange: (v) => {
      const items = v.getVirtualItems();
      if (!items.length) return;
      const from = items[0].index, to = items[items.length - 1].index;
      if (Math.floor(from / ROW_PAGE) !== Math.floor(range.from / ROW_PAGE) || Math.floor(to / ROW_PAGE) !== Math.floor(range.to / ROW_PAGE)) setRange({ from, to });
    },
  });
  const rowAt = (i: number): TreeRow | undefined => {
    for (const p of pages) {
      const d = p.data;
      if (d && i >= d.offset && i < d.offset + d.rows.length) return d.rows[i - d.offset];
    }
    return undefined;
  };
  const layerOf = (r: TreeRow) => (source === 'merged' ? r.layer! : source);
  const canDownload = (r: TreeRow) => !r.whiteout && !r.danger && (r.type === 'file' || r.type === 'hardlink' || r.type === 'contiguous');
  const move = (i: number) => {
    const to = Math.max(0, Math.min(total - 1, i));
    setActive(to);
    virt.scrollToIndex(to, { align: 'auto' });
  };
  const onKey = (e: KeyboardEvent) => {
    const r = rowAt(active);
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active + 1), ArrowUp: () => move(active - 1),
      PageDown: () => move(active + page), PageUp: () => move(active - page),
      Home: () => move(0), End: () => move(total - 1),
      ArrowRight: () => { if (r?.hasChildren) { if (collapsed.includes(r.path)) setCollapsed(view, r.path, false); else move(active + 1); } },
      ArrowLeft: () => { if (r?.hasChildren && !collapsed.includes(r.path)) setCollapsed(view, r.path, true); },
      Enter: () => { if (r?.hasChildren) toggle(view, r.path); else if (r && canDownload(r)) void downloadLayerFile(id, image, layerOf(r), r.path); },
    };
    const f = keys[e.key];
    if (f) { e.preventDefault(); f(); }
  };
  // A click picks the row under the pointer; focus stays on the tree, which owns the keys (aria-activedescendant).
  const onClick = (e: MouseEvent) => {
    const item = (e.target as Element).closest<HTMLElement>('[role="treeitem"]');
    if (item?.dataset.index) setActive(Number(item.dataset.index));
  };
  const busy = pages.some((p) => p.isFetching);
  const failed = pages.find((p) => p.isError)?.error;
  return (
    <div className="tree-wrap">
      <div className="tree-tools">
        <input type="search" placeholder="Filter paths…" aria-label="Filter paths" value={filter} onChange={(e) => { setFilter(e.currentTarget.value); setActive(0); }} />
        <span className="muted small" data-testid="tree-total">{total.toLocaleString('en-US')} {total === 1 ? 'entry' : 'entries'}{busy ? ' …' : ''}</span>
        <span className="muted small">↑↓ move · ←→ fold · Enter opens or downloads</span>
      </div>
      {failed && <p role="alert" className="error">{String((failed as Error).message ?? failed)}</p>}
      <div className="tree-head" aria-hidden="true"><span>Mode</span><span>Owner</span><span className="num">Size</span><span>Name</span></div>
      <div ref={scroller} className="tree" role="tree" aria-label={source === 'merged' ? 'Merged filesystem' : `Files of layer ${source}`}
        tabIndex={0} onKeyDown={onKey} onClick={onClick} aria-activedescendant={total ? `row-${view}-${active}` : undefined} data-testid="file-tree">
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {virt.getVirtualItems().map((vi) => {
            const r = rowAt(vi.index);
            return (
              <div key={vi.key} id={`row-${view}-${vi.index}`} data-index={vi.index} role="treeitem" aria-level={(r?.depth ?? 0) + 1} aria-selected={vi.index === active}
                aria-expanded={r?.hasChildren ? !collapsed.includes(r.path) : undefined}
                className={`tree-row${vi.index === active ? ' active' : ''}${r?.whiteout ? ' whiteout' : ''}${r?.danger ? ' dangerous' : ''}`}
                data-path={r?.path} data-type={r?.type} data-mode={r?.mode} data-uid={r?.uid} data-gid={r?.gid} data-size={r?.size} data-link={r?.linkname}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${vi.start}px)` }}>
                {r ? <RowView row={r} expanded={!collapsed.includes(r.path)} active={vi.index === active} onToggle={() => toggle(view, r.path)}
                  onDownload={canDownload(r) ? () => void downloadLayerFile(id, image, layerOf(r), r.path) : undefined} />
                  : <span className="muted">…</span>}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

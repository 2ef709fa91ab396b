/**
 * A flat, depth-first tree over a layer listing or the merged filesystem, paged out with collapsed
 * directories hidden: the UI asks for the rows it shows, never for every entry at once.
 */
import type { EntryDanger, LayerFile } from './listing';
import type { MergedFile } from './merge';

/** One row of the tree as the UI shows it. */
export interface TreeRow {
  /** normalised path (for a whiteout marker: the marker's own path) */
  path: string;
  /** the last path segment shown (for a file whiteout: the removed name) */
  name: string;
  /** 0 for top-level entries */
  depth: number;
  type: LayerFile['type'];
  /** bytes of file data */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  /** 'file': this layer deletes `whiteoutTarget`; 'opaque': it hides the lower contents of that directory */
  whiteout?: 'file' | 'opaque';
  whiteoutTarget?: string;
  danger?: EntryDanger;
  /** merged view: the layer (bottom = 0) the entry comes from */
  layer?: number;
  /** true when rows follow beneath it */
  hasChildren: boolean;
}

/** The sorted rows of one source, built once per session. */
export interface TreeView {
  rows: TreeRow[];
}

/** A page of visible rows. */
export interface TreePage {
  /** visible rows in all (after collapsing and filtering) */
  total: number;
  offset: number;
  rows: TreeRow[];
}

/** Sort key: path segments compared in order ('/' sorts before every other character). */
const key = (p: string): string => p.replaceAll('/', '\u0000');

/** A name too long to show whole: its start and end around an ellipsis (the row's path keeps all of it). */
function shortened(name: string): string {
  return name.length <= 200 ? name : `${name.slice(0, 100)}…${name.slice(-99)}`;
}

/** Builds the tree of a listing (sorted depth-first) or of merged files (already depth-first). */
export function buildTreeView(files: Array<LayerFile | MergedFile>, alreadySorted: boolean): TreeView {
  const list = files.filter((f) => f.path !== '' || f.danger);
  const sorted = alreadySorted ? list : list.map((f) => ({ f, k: key(f.path) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.f);
  const rows = sorted.map((f): TreeRow => {
    const slash = f.path.lastIndexOf('/');
    const r: TreeRow = {
      path: f.path,
      name: f.whiteout === 'file' ? f.whiteoutTarget!.slice(f.whiteoutTarget!.lastIndexOf('/') + 1) : f.path.slice(slash + 1) || f.rawName,
      depth: f.danger ? 0 : f.path.split('/').length - 1,
      type: f.type, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid, hasChildren: false,
    };
    if (f.linkname) r.linkname = f.linkname;
    if (f.whiteout) { r.whiteout = f.whiteout; r.whiteoutTarget = f.whiteoutTarget; }
    if (f.danger) { r.danger = f.danger; r.name = f.danger === 'path-too-long' ? shortened(f.rawName) : f.rawName; }
    if ('layer' in f) r.layer = f.layer;
    return r;
  });
  for (let i = 0; i + 1 < rows.length; i++) rows[i].hasChildren = rows[i + 1].path.startsWith(rows[i].path + '/');
  return { rows };
}

/** The visible rows `offset..offset+count`: descendants of `collapsed` hidden; with `filter`, matching paths only (flat). */
export function pageTreeRows(view: TreeView, q: { offset: number; count: number; collapsed?: string[]; filter?: string }): TreePage {
  let visible: TreeRow[];
  if (q.filter) {
    const needle = q.filter.toLowerCase();
    visible = view.rows.filter((r) => r.path.toLowerCase().includes(needle) || (r.linkname ?? '').toLowerCase().includes(needle));
  } else if (q.collapsed && q.collapsed.length) {
    const collapsed = new Set(q.collapsed);
    visible = [];
    let hide: string | undefined;
    for (const r of view.rows) {
      if (hide !== undefined && r.path.startsWith(hide)) continue;
      hide = undefined;
      visible.push(r);
      if (r.hasChildren && collapsed.has(r.path)) hide = r.path + '/';
    }
  } else {
    visible = view.rows;
  }
  const offset = Math.max(0, Math.min(q.offset, visible.length));
  return { total: visible.length, offset, rows: visible.slice(offset, offset + Math.max(0, q.count)) };
}

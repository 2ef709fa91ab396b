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

/** Entries a tree is built over, by index: a listing's files, a layer's index or the merged index. */
export interface RowSource {
  readonly count: number;
  path(i: number): string;
  /** the link name shown (none: undefined or '') */
  linkname(i: number): string | undefined;
  danger(i: number): EntryDanger | undefined;
  /** the entry as an object, for a row on screen */
  file(i: number): LayerFile | MergedFile;
}

/** The order of one source's rows, built once per session; rows are made only for the pages asked for. */
export class TreeView {
  constructor(
    readonly source: RowSource,
    /** source index of each row, in row order */
    readonly order: Int32Array,
    /** 1 where rows follow beneath the row */
    readonly parents: Uint8Array,
  ) {}

  get length(): number { return this.order.length; }
  path(k: number): string { return this.source.path(this.order[k]); }

  /** Row `k` as the UI shows it. */
  row(k: number): TreeRow {
    const f = this.source.file(this.order[k]);
    const slash = f.path.lastIndexOf('/');
    const r: TreeRow = {
      path: f.path,
      name: f.whiteout === 'file' ? f.whiteoutTarget!.slice(f.whiteoutTarget!.lastIndexOf('/') + 1) : f.path.slice(slash + 1) || f.rawName,
      depth: f.danger ? 0 : depthOf(f.path),
      type: f.type, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid, hasChildren: this.parents[k] === 1,
    };
    if (f.linkname) r.linkname = f.linkname;
    if (f.whiteout) { r.whiteout = f.whiteout; r.whiteoutTarget = f.whiteoutTarget; }
    if (f.danger) { r.danger = f.danger; r.name = f.danger === 'path-too-long' ? shortened(f.rawName) : f.rawName; }
    if ('layer' in f) r.layer = f.layer;
    return r;
  }

  /** Every row (for small trees and tests; the UI asks for pages). */
  get rows(): TreeRow[] {
    return Array.from({ length: this.length }, (_, k) => this.row(k));
  }
}

/** Components below the top: the number of '/' in a path. */
function depthOf(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) n++;
  return n;
}

/** A RowSource over entries held as objects. */
export function filesSource(files: ReadonlyArray<LayerFile | MergedFile>): RowSource {
  return { count: files.length, path: (i) => files[i].path, linkname: (i) => files[i].linkname, danger: (i) => files[i].danger, file: (i) => files[i] };
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
  return buildTree(filesSource(files), alreadySorted);
}

/** Builds the tree of any row source: entries with an empty path (the root) left out unless dangerous. */
export function buildTree(source: RowSource, alreadySorted: boolean): TreeView {
  if (alreadySorted) return buildSortedTree(source);
  const kept: number[] = [];
  for (let i = 0; i < source.count; i++) if (source.path(i) !== '' || source.danger(i)) kept.push(i);
  if (!alreadySorted) {
    const keys = new Map<number, string>();
    for (const i of kept) keys.set(i, key(source.path(i)));
    kept.sort((a, b) => {
      const x = keys.get(a)!, y = keys.get(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  const order = Int32Array.from(kept);
  const parents = new Uint8Array(order.length);
  // each path built once (a source may join it from its components on every call)
  let p = order.length ? source.path(order[0]) : '';
  for (let k = 0; k + 1 < order.length; k++) {
    const next = source.path(order[k + 1]);
    if (next.length > p.length && next.charCodeAt(p.length) === 0x2f && next.startsWith(p)) parents[k] = 1;
    p = next;
  }
  return new TreeView(source, order, parents);
}

/** buildTree over a source already in depth-first order: one pass, each path built once. */
function buildSortedTree(source: RowSource): TreeView {
  const order = new Int32Array(source.count);
  const parents = new Uint8Array(source.count);
  let rows = 0;
  let prev = '';
  for (let i = 0; i < source.count; i++) {
    const path = source.path(i);
    if (path === '' && !source.danger(i)) continue;
    if (rows > 0 && path.length > prev.length && path.charCodeAt(prev.length) === 0x2f && path.startsWith(prev)) parents[rows - 1] = 1;
    order[rows++] = i;
    prev = path;
  }
  return new TreeView(source, rows === order.length ? order : order.slice(0, rows), rows === parents.length ? parents : parents.slice(0, rows));
}

/** The visible rows `offset..offset+count`: descendants of `collapsed` hidden; with `filter`, matching paths only (flat). */
export function pageTreeRows(view: TreeView, q: { offset: number; count: number; collapsed?: string[]; filter?: string }): TreePage {
  let visible: number[] | undefined; // row numbers; undefined: every row
  if (q.filter) {
    const needle = q.filter.toLowerCase();
    visible = [];
    for (let k = 0; k < view.length; k++) {
      const i = view.order[k];
      if (view.source.path(i).toLowerCase().includes(needle) || (view.source.linkname(i) ?? '').toLowerCase().includes(needle)) visible.push(k);
    }
  } else if (q.collapsed && q.collapsed.length) {
    const collapsed = new Set(q.collapsed);
    visible = [];
    let hide: string | undefined;
    for (let k = 0; k < view.length; k++) {
      const path = view.path(k);
      if (hide !== undefined && path.startsWith(hide)) continue;
      hide = undefined;
      visible.push(k);
      if (view.parents[k] === 1 && collapsed.has(path)) hide = path + '/';
    }
  }
  const total = visible ? visible.length : view.length;
  const offset = Math.max(0, Math.min(q.offset, total));
  const end = Math.min(total, offset + Math.max(0, q.count));
  const rows: TreeRow[] = [];
  for (let n = offset; n < end; n++) rows.push(view.row(visible ? visible[n] : n));
  return { total, offset, rows };
}

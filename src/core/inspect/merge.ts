import { compareNames } from '../tar';
import type { TarEntryType } from '../tar';
import { releaseBuffer } from '../memory';
import { grown, LayerIndex, resolveLinkTarget, type EntryDanger, type LayerFile, type LayerListing } from './listing';
import { PathTable, ROOT_NODE } from './path-table';

/** An entry of the merged filesystem, with the index of the layer (bottom = 0) it comes from. */
export interface MergedFile extends LayerFile {
  layer: number;
  /** a directory no layer lists, created because a layer holds something beneath it */
  implicit?: boolean;
}

/** The filesystem a container would see, plus what each layer wastes. */
export interface MergedView {
  /** every path after whiteouts and overwrites, depth first, each directory's children in bytewise order */
  files: MergedFile[];
  /** per layer (bottom first): bytes of its files that later layers overwrite or remove */
  wastedBytesByLayer: number[];
  /** sum of wastedBytesByLayer */
  wastedBytes: number;
  /** sum of file bytes over all layers */
  totalBytes: number;
  /** 1 - wasted/total (1 for an image that wastes nothing), like dive's efficiency score */
  efficiency: number;
  /** entries left out of the merge because they are dangerous (absolute, '..', escaping links, too long) */
  skipped: Array<{ layer: number; file: LayerFile }>;
}

/**
 * The merged filesystem in columns, over the layers' indexes: per entry the layer and the entry index in
 * it (-1 for an implicit directory); the few implicit directories keep their path, the few detached links
 * their target. `file(i)` gives entry `i` as a MergedFile, built when asked for.
 */
export class MergedIndex {
  constructor(
    readonly layers: readonly LayerIndex[],
    /** merged entries, depth first, each directory's children in bytewise order */
    readonly count: number,
    readonly layerOf: Uint16Array,
    readonly entryOf: Int32Array,
    /** implicit directories: merged index → path */
    readonly implicitPaths: Map<number, string>,
    /** a hardlink shown as the inode it shared: merged index → [layer, entry] of its old target */
    readonly detached: Map<number, [number, number]>,
    /** a hardlink to such an inode shown as a link to the first one: merged index → that link's path */
    readonly relinked: Map<number, string>,
    readonly wastedBytesByLayer: number[],
    readonly totalBytes: number,
    /** dangerous entries left out, as [layer, entry] */
    readonly skipped: Array<[number, number]>,
  ) {}

  get wastedBytes(): number { return this.wastedBytesByLayer.reduce((a, b) => a + b, 0); }
  get efficiency(): number { return this.totalBytes === 0 ? 1 : 1 - this.wastedBytes / this.totalBytes; }

  path(i: number): string {
    const e = this.entryOf[i];
    return e < 0 ? this.implicitPaths.get(i)! : this.layers[this.layerOf[i]].path(e);
  }
  /** the type as merged (a detached link: its old target's) */
  type(i: number): TarEntryType {
    const e = this.entryOf[i];
    if (e < 0) return 'directory';
    const d = this.detached.get(i);
    return d ? this.layers[d[0]].type(d[1]) : this.layers[this.layerOf[i]].type(e);
  }
  size(i: number): number {
    const e = this.entryOf[i];
    if (e < 0) return 0;
    const d = this.detached.get(i);
    return d ? this.layers[d[0]].sizes[d[1]] : this.layers[this.layerOf[i]].sizes[e];
  }
  /** the link name as merged (undefined when none) */
  linkname(i: number): string | undefined {
    const e = this.entryOf[i];
    if (e < 0) return undefined;
    const re = this.relinked.get(i);
    if (re !== undefined) return re;
    const d = this.detached.get(i);
    if (d) return this.layers[d[0]].type(d[1]) === 'hardlink' ? undefined : this.layers[d[0]].linkname(d[1]);
    return this.layers[this.layerOf[i]].linkname(e);
  }

  /** the danger flag as merged (only 'link-escapes' stays in a merge) */
  danger(i: number): EntryDanger | undefined {
    const e = this.entryOf[i];
    return e < 0 || this.detached.has(i) ? undefined : this.layers[this.layerOf[i]].danger(e);
  }

  /** Merged entry `i` as a MergedFile. */
  file(i: number): MergedFile {
    const layer = this.layerOf[i];
    const e = this.entryOf[i];
    if (e < 0) {
      const path = this.implicitPaths.get(i)!;
      return { path, rawName: path, type: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, layer, implicit: true };
    }
    const li = this.layers[layer];
    const d = this.detached.get(i);
    if (d) {
      const t = this.layers[d[0]];
      const m: MergedFile = { path: li.path(e), rawName: li.rawName(e), type: t.type(d[1]), size: t.sizes[d[1]], mode: t.modes[d[1]], uid: li.uids[e], gid: li.gids[e], mtime: li.mtimes[e], layer };
      const tl = t.linkname(d[1]);
      if (tl !== undefined && t.type(d[1]) !== 'hardlink') m.linkname = tl;
      return m;
    }
    const f = li.file(e);
    const m: MergedFile = { path: f.path, rawName: f.rawName, type: f.type, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid, mtime: f.mtime, layer };
    if (f.linkname !== undefined) m.linkname = f.linkname;
    if (f.whiteout !== undefined) m.whiteout = f.whiteout;
    if (f.whiteoutTarget !== undefined) m.whiteoutTarget = f.whiteoutTarget;
    if (f.danger !== undefined) m.danger = f.danger;
    const re = this.relinked.get(i);
    return re === undefined ? m : { ...m, linkname: re };
  }

  /** The view with one MergedFile per entry. */
  toView(): MergedView {
    const files: MergedFile[] = [];
    for (let i = 0; i < this.count; i++) files.push(this.file(i));
    return {
      files, wastedBytesByLayer: this.wastedBytesByLayer, wastedBytes: this.wastedBytes, totalBytes: this.totalBytes,
      skipped: this.skipped.map(([layer, e]) => ({ layer, file: this.layers[layer].file(e) })), efficiency: this.efficiency,
    };
  }
}

/** A hardlink as written: the node its target path named then, and that path. */
interface Link { target: number; targetPath: string }

/**
 * Applies layers bottom to top with OCI whiteout semantics (image-spec layer.md): in each layer, whiteouts
 * remove lower-layer paths first (`.wh.x` removes x, `.wh..wh..opq` empties its directory of lower
 * children), then the layer's entries are added; a non-directory replaces whatever was at its path.
 * A hardlink resolves against the filesystem as it stood when the link was written: when its target is
 * later rewritten, removed or hidden, the link stands as the file it shared (as Docker's overlay shows it).
 * Paths are walked as nodes of the layers' PathTable (no string is sliced per entry); time and memory are
 * linear in the number of path components. Nodes of the merged tree are numbers: the entry each stands for ([layer, entry], entry -1 for an implicit
 * directory and the root) and its children by name.
 */
export function mergeIndexes(input: readonly LayerIndex[]): MergedIndex {
  // the layers' paths in one table (the session's layers share one already)
  const table = input[0]?.table ?? new PathTable();
  const layers = input.map((li) => li.inTable(table));
  // merged nodes in columns: the entry each stands for, the table node of its path, its children as a list
  // (first child, next sibling); `at` gives the node standing at a table node now (-1: none). A node is
  // in the tree while `at` points at it: detaching a subtree clears `at` for its nodes, lists keep them.
  // sized for one node per path of the table (a path stands once at a time; only replaced nodes need more)
  const room = table.nodes + 1;
  let nodeLayer = new Uint16Array(room);
  let nodeEntry = new Int32Array(room);
  let nodePath = new Int32Array(room);
  let firstChild = new Int32Array(room);
  let nextSibling = new Int32Array(room);
  let nodes = 0;
  const at = new Int32Array(table.nodes).fill(-1);
  const implicitPath = new Map<number, string>(); // node → path
  const wasted = layers.map(() => 0);
  const skipped: Array<[number, number]> = [];
  const links = new Map<number, Link>(); // by link node
  let totalBytes = 0;
  const newNode = (layer: number, entry: number, tnode: number): number => {
    if (nodes === nodeEntry.length) {
      const n = nodes + 1;
      nodeLayer = grown(nodeLayer, n, (k) => new Uint16Array(k));
      nodeEntry = grown(nodeEntry, n, (k) => new Int32Array(k));
      nodePath = grown(nodePath, n, (k) => new Int32Array(k));
      firstChild = grown(firstChild, n, (k) => new Int32Array(k));
      nextSibling = grown(nextSibling, n, (k) => new Int32Array(k));
    }
    const node = nodes++;
    nodeLayer[node] = layer;
    nodeEntry[node] = entry;
    nodePath[node] = tnode;
    firstChild[node] = -1;
    nextSibling[node] = -1;
    return node;
  };
  /** Puts `node` under `parent` (both in the tree) at its table node, in place of what stood there. */
  const attach = (parent: number, node: number): void => {
    nextSibling[node] = firstChild[parent];
    firstChild[parent] = node;
    at[nodePath[node]] = node;
  };
  const ROOT = newNode(0, -1, ROOT_NODE);
  at[ROOT_NODE] = ROOT;
  const inTree = (n: number): boolean => at[nodePath[n]] === n;
  const isDir = (n: number): boolean => nodeEntry[n] < 0 || layers[nodeLayer[n]].isDirectory(nodeEntry[n]);
  const sizeOf = (n: number): number => (nodeEntry[n] < 0 ? 0 : layers[nodeLayer[n]].sizes[nodeEntry[n]]);
  // the table nodes of one path, top component first (reused)
  const chain: number[] = [];
  const chainOf = (tnode: number): number => {
    let d = 0;
    for (let t = tnode; t !== ROOT_NODE; t = table.parent(t)) chain[d++] = t;
    chain.length = d;
    chain.reverse();
    return d;
  };
  /** Takes `n` and everything beneath it out of the tree, adding their bytes to the layers they came from (no recursion: paths may be deep). */
  const detach = (n: number): void => {
    const stack = [n];
    while (stack.length) {
      const x = stack.pop()!;
      const size = sizeOf(x);
      if (size) wasted[nodeLayer[x]] += size;
      for (let c = firstChild[x]; c >= 0; c = nextSibling[c]) if (inTree(c)) stack.push(c);
      at[nodePath[x]] = -1;
    }
  };
  /** The node at `path`, walking only through directories; undefined when absent. */
  const nodeAt = (path: string): number | undefined => {
    const tnode = table.lookup(path);
    if (tnode < 0 || at[tnode] < 0) return undefined;
    for (let t = table.parent(tnode); t > ROOT_NODE; t = table.parent(t)) if (at[t] < 0 || !isDir(at[t])) return undefined;
    return at[tnode];
  };
  /** Removes the node at `path` (a `.wh.` marker), wasting what it held. */
  const remove = (path: string): void => {
    const victim = nodeAt(path);
    if (victim === undefined || victim === ROOT) return;
    const parent = at[table.parent(nodePath[victim])];
    if (parent < 0 || !isDir(parent)) return;
    detach(victim);
  };

  layers.forEach((li, layer) => {
    for (let e = 0; e < li.count; e++) {
      const wh = li.whiteout(e);
      if (!wh || li.danger(e)) continue;
      const target = li.whiteoutTargets.get(e)!;
      if (wh === 'opaque') {
        const node = target === '' ? ROOT : nodeAt(target);
        if (node !== undefined && isDir(node)) {
          for (let c = firstChild[node]; c >= 0; c = nextSibling[c]) if (inTree(c)) detach(c);
          firstChild[node] = -1;
        }
      } else {
        remove(target);
      }
    }
    for (let e = 0; e < li.count; e++) {
      if (li.whiteout(e)) continue;
      const danger = li.danger(e);
      if (danger && danger !== 'link-escapes') { skipped.push([layer, e]); continue; }
      const tnode = li.nodes[e];
      if (tnode === ROOT_NODE) continue; // the root directory itself ('./')
      totalBytes += li.sizes[e];
      let cur = ROOT;
      const depth = chainOf(tnode);
      // an implicit directory's path is a slice of the entry's path (built once, when one is needed)
      let path: string | undefined;
      let end = -1;
      for (let k = 0; k < depth - 1; k++) {
        end += 1 + table.string(table.name(chain[k])).length;
        let next: number | undefined = at[chain[k]];
        if (next < 0 || !isDir(next)) {
          if (next >= 0) detach(next);
          next = newNode(layer, -1, chain[k]);
          path ??= li.path(e);
          implicitPath.set(next, path.slice(0, end));
          attach(cur, next);
        }
        cur = next;
      }
      const existing = at[tnode];
      const dir = li.isDirectory(e);
      if (existing >= 0 && dir && isDir(existing)) {
        // a directory over a directory: contents merge, metadata from the upper one
        nodeLayer[existing] = layer;
        nodeEntry[existing] = e;
        implicitPath.delete(existing);
        continue;
      }
      if (existing >= 0) detach(existing);
      const node = newNode(layer, e, tnode);
      const linkname = li.linkname(e);
      if (li.type(e) === 'hardlink' && linkname !== undefined && !danger) {
        const targetPath = resolveLinkTarget(path ?? li.path(e), linkname, true);
        let target = targetPath === undefined ? undefined : nodeAt(targetPath);
        // a link to a link shares the first one's inode
        const via = target === undefined ? undefined : links.get(target);
        if (via) target = via.target;
        if (target !== undefined && nodeEntry[target] >= 0 && !isDir(target)) links.set(node, { target, targetPath: via ? via.targetPath : targetPath! });
      }
      attach(cur, node);
    }
  });

  // A link whose target node no longer stands at the target's path shows the inode it shared. Several
  // links to one such inode: the first in listing order is the file, the others link to it (as docker export).
  const detachedNodes = new Map<number, number>(); // link node → the target node it shared
  for (const [node, l] of links) {
    if (nodeAt(l.targetPath) !== l.target) detachedNodes.set(node, l.target);
  }
  const firstOf = new Map<number, string>(); // target node → path of the first detached link shown for it

  let count = 0;
  for (let n = 1; n < nodes; n++) if (inTree(n)) count++;
  const outLayer = new Uint16Array(count);
  const outEntry = new Int32Array(count);
  const implicitPaths = new Map<number, string>();
  const detached = new Map<number, [number, number]>();
  const relinked = new Map<number, string>();
  // depth first without recursion: a stack of each open directory's children, in bytewise order
  const stack: Array<{ nodes: number[]; i: number }> = [];
  const open = (n: number): void => {
    const kids: number[] = [];
    for (let c = firstChild[n]; c >= 0; c = nextSibling[c]) if (inTree(c)) kids.push(c);
    if (kids.length === 0) return;
    kids.sort((a, b) => compareBytes(table.string(table.name(nodePath[a])), table.string(table.name(nodePath[b]))));
    stack.push({ nodes: kids, i: 0 });
  };
  open(ROOT);
  let out = 0;
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.i === top.nodes.length) { stack.pop(); continue; }
    const c = top.nodes[top.i++];
    outLayer[out] = nodeLayer[c];
    outEntry[out] = nodeEntry[c];
    if (nodeEntry[c] < 0) implicitPaths.set(out, implicitPath.get(c)!);
    const target = detachedNodes.get(c);
    if (target !== undefined) {
      const first = firstOf.get(target);
      if (first === undefined) {
        detached.set(out, [nodeLayer[target], nodeEntry[target]]);
        firstOf.set(target, layers[nodeLayer[c]].path(nodeEntry[c]));
        // the bytes counted as wasted when the target went are still there, under the link
        wasted[nodeLayer[target]] -= sizeOf(target);
      } else {
        relinked.set(out, first);
      }
    }
    out++;
    open(c);
  }
  // the merge's own columns are done with: their memory goes now, not at the worker's next collection
  for (const a of [nodeLayer, nodeEntry, nodePath, firstChild, nextSibling, at]) releaseBuffer(a);
  return new MergedIndex(layers, count, outLayer, outEntry, implicitPaths, detached, relinked, wasted, totalBytes, skipped);
}

/** mergeIndexes over listings of objects, giving objects (one MergedFile per entry). */
export function mergeLayers(listings: LayerListing[]): MergedView {
  const table = new PathTable();
  return mergeIndexes(listings.map((l) => LayerIndex.of(l, table))).toView();
}

/** Bytewise (UTF-8) comparison, the order GNU tar --sort=name and Go use. */
export const compareBytes = compareNames;

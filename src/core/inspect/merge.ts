import { compareNames } from '../tar';
import { resolveLinkTarget, type LayerFile, type LayerListing } from './listing';

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

interface Node {
  file?: MergedFile;
  /** created with the first child: most nodes are files and never get one */
  children?: Map<string, Node>;
}

/** A hardlink as written: the node its target path named then, and that path. */
interface Link { target: Node; targetPath: string }

const newNode = (file?: MergedFile): Node => ({ file });

/** The merged copy of a layer's entry, built field by field: one object shape for every entry. */
function mergedFile(f: LayerFile, layer: number): MergedFile {
  const m: MergedFile = { path: f.path, rawName: f.rawName, type: f.type, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid, mtime: f.mtime, layer };
  if (f.linkname !== undefined) m.linkname = f.linkname;
  if (f.whiteout !== undefined) m.whiteout = f.whiteout;
  if (f.whiteoutTarget !== undefined) m.whiteoutTarget = f.whiteoutTarget;
  if (f.danger !== undefined) m.danger = f.danger;
  return m;
}

/**
 * A hardlink whose target no longer stands at its path: what Docker shows there, the inode the link
 * shared when it was written (the target's type, size, mode and content). Owner and mtime come from the
 * link's header, which Docker applies to that inode when it extracts the link. Its content is read
 * through the link in the link's own layer.
 */
function detachedLink(link: MergedFile, target: MergedFile): MergedFile {
  const m: MergedFile = { path: link.path, rawName: link.rawName, type: target.type, size: target.size, mode: target.mode, uid: link.uid, gid: link.gid, mtime: link.mtime, layer: link.layer };
  if (target.linkname !== undefined && target.type !== 'hardlink') m.linkname = target.linkname;
  return m;
}

function isDir(n: Node): boolean {
  return !n.file || n.file.type === 'directory';
}

/** Adds the bytes of `n` and everything beneath it to the layers they came from (no recursion: paths may be deep). */
function addWaste(n: Node, wasted: number[]): void {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.file && x.file.size) wasted[x.file.layer] += x.file.size;
    if (x.children) for (const c of x.children.values()) stack.push(c);
  }
}

/**
 * Applies layers bottom to top with OCI whiteout semantics (image-spec layer.md): in each layer, whiteouts
 * remove lower-layer paths first (`.wh.x` removes x, `.wh..wh..opq` empties its directory of lower
 * children), then the layer's entries are added; a non-directory replaces whatever was at its path.
 * A hardlink resolves against the filesystem as it stood when the link was written: when its target is
 * later rewritten, removed or hidden, the link stands as the file it shared (as Docker's overlay shows it).
 * Time and memory are linear in the total length of the paths (ancestors are slices of their child's path).
 */
export function mergeLayers(listings: LayerListing[]): MergedView {
  const root = newNode();
  const wasted = listings.map(() => 0);
  const skipped: MergedView['skipped'] = [];
  const links = new Map<Node, Link>(); // by link node
  let totalBytes = 0;

  /** The node at `path`, walking only through directories; undefined when absent. */
  const nodeAt = (path: string): Node | undefined => {
    let cur = root;
    for (let start = 0; ;) {
      const slash = path.indexOf('/', start);
      const next = cur.children?.get(slash < 0 ? path.slice(start) : path.slice(start, slash));
      if (!next || slash < 0) return next;
      if (!isDir(next)) return undefined;
      cur = next;
      start = slash + 1;
    }
  };
  /** Removes the node at `path` (a `.wh.` marker), wasting what it held. */
  const remove = (path: string): void => {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? root : nodeAt(path.slice(0, slash));
    if (!parent || !isDir(parent)) return;
    const name = path.slice(slash + 1);
    const victim = parent.children?.get(name);
    if (!victim) return;
    addWaste(victim, wasted);
    parent.children!.delete(name);
  };

  listings.forEach((listing, layer) => {
    for (const f of listing.files) {
      if (f.danger || !f.whiteout) continue;
      if (f.whiteout === 'opaque') {
        const node = f.whiteoutTarget === '' ? root : nodeAt(f.whiteoutTarget!);
        if (node && isDir(node) && node.children) {
          for (const c of node.children.values()) addWaste(c, wasted);
          node.children = undefined;
        }
      } else {
        remove(f.whiteoutTarget!);
      }
    }
    for (const f of listing.files) {
      if (f.whiteout) continue;
      if (f.danger && f.danger !== 'link-escapes') { skipped.push({ layer, file: f }); continue; }
      if (f.path === '') continue; // the root directory itself ('./')
      totalBytes += f.size;
      const path = f.path;
      let cur = root;
      let start = 0;
      for (let slash = path.indexOf('/'); slash >= 0; start = slash + 1, slash = path.indexOf('/', start)) {
        const part = path.slice(start, slash);
        let next = cur.children?.get(part);
        if (!next || !isDir(next)) {
          if (next) addWaste(next, wasted);
          const dirPath = path.slice(0, slash);
          next = newNode({ path: dirPath, rawName: dirPath, type: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, layer, implicit: true });
          (cur.children ??= new Map()).set(part, next);
        }
        cur = next;
      }
      const name = path.slice(start);
      const existing = cur.children?.get(name);
      const file = mergedFile(f, layer);
      if (existing && f.type === 'directory' && isDir(existing)) {
        existing.file = file; // a directory over a directory: contents merge, metadata from the upper one
        continue;
      }
      if (existing) addWaste(existing, wasted);
      const node = newNode(file);
      if (f.type === 'hardlink' && f.linkname !== undefined && !f.danger) {
        const targetPath = resolveLinkTarget(path, f.linkname, true);
        let target = targetPath === undefined ? undefined : nodeAt(targetPath);
        // a link to a link shares the first one's inode
        const via = target && links.get(target);
        if (via) target = via.target;
        if (target?.file && target.file.type !== 'directory') links.set(node, { target, targetPath: via ? via.targetPath : targetPath! });
      }
      (cur.children ??= new Map()).set(name, node);
    }
  });

  // A link whose target node no longer stands at the target's path shows the inode it shared. Several
  // links to one such inode: the first in listing order is the file, the others link to it (as docker export).
  const detached = new Map<Node, Node>(); // link node → the target node it shared
  for (const [node, l] of links) {
    if (nodeAt(l.targetPath) !== l.target) detached.set(node, l.target);
  }
  const firstOf = new Map<Node, string>(); // target node → path of the first detached link shown for it

  const files: MergedFile[] = [];
  // depth first without recursion: a stack of each open directory's children, in bytewise order
  const stack: Array<{ nodes: Node[]; i: number }> = [];
  const open = (n: Node): void => {
    if (!n.children) return;
    const names = [...n.children.keys()].sort(compareBytes);
    stack.push({ nodes: names.map((k) => n.children!.get(k)!), i: 0 });
  };
  open(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.i === top.nodes.length) { stack.pop(); continue; }
    const c = top.nodes[top.i++];
    const target = detached.get(c);
    if (target) {
      const first = firstOf.get(target);
      if (first === undefined) {
        c.file = detachedLink(c.file!, target.file!);
        firstOf.set(target, c.file.path);
        // the bytes counted as wasted when the target went are still there, under the link
        wasted[target.file!.layer] -= target.file!.size;
      } else {
        c.file = { ...c.file!, linkname: first };
      }
    }
    files.push(c.file!);
    open(c);
  }
  const wastedBytes = wasted.reduce((a, b) => a + b, 0);
  return {
    files, wastedBytesByLayer: wasted, wastedBytes, totalBytes, skipped,
    efficiency: totalBytes === 0 ? 1 : 1 - wastedBytes / totalBytes,
  };
}

/** Bytewise (UTF-8) comparison, the order GNU tar --sort=name and Go use. */
export const compareBytes = compareNames;

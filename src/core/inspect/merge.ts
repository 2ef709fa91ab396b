import { compareNames } from '../tar';
import type { LayerFile, LayerListing } from './listing';

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
  /** entries left out of the merge because they are dangerous (absolute, '..', escaping links) */
  skipped: Array<{ layer: number; file: LayerFile }>;
}

interface Node {
  file?: MergedFile;
  /** created with the first child: most nodes are files and never get one */
  children?: Map<string, Node>;
}

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

function isDir(n: Node): boolean {
  return !n.file || n.file.type === 'directory';
}

/**
 * Applies layers bottom to top with OCI whiteout semantics (image-spec layer.md): in each layer, whiteouts
 * remove lower-layer paths first (`.wh.x` removes x, `.wh..wh..opq` empties its directory of lower
 * children), then the layer's entries are added; a non-directory replaces whatever was at its path.
 */
export function mergeLayers(listings: LayerListing[]): MergedView {
  const root = newNode();
  const wasted = listings.map(() => 0);
  const skipped: MergedView['skipped'] = [];
  let totalBytes = 0;

  const waste = (n: Node): void => {
    if (n.file && n.file.size) wasted[n.file.layer] += n.file.size;
    if (n.children) for (const c of n.children.values()) waste(c);
  };
  const lookup = (path: string): { parent: Node; name: string } | undefined => {
    const parts = path.split('/');
    let cur = root;
    for (const p of parts.slice(0, -1)) {
      const next = cur.children?.get(p);
      if (!next || !isDir(next)) return undefined;
      cur = next;
    }
    return { parent: cur, name: parts[parts.length - 1] };
  };

  listings.forEach((listing, layer) => {
    for (const f of listing.files) {
      if (f.danger || !f.whiteout) continue;
      if (f.whiteout === 'opaque') {
        const node = f.whiteoutTarget === '' ? root : (() => {
          const at = lookup(f.whiteoutTarget!);
          return at?.parent.children?.get(at.name);
        })();
        if (node && isDir(node) && node.children) {
          for (const c of node.children.values()) waste(c);
          node.children = undefined;
        }
      } else {
        const at = lookup(f.whiteoutTarget!);
        const victim = at?.parent.children?.get(at.name);
        if (at && victim) {
          waste(victim);
          at.parent.children!.delete(at.name);
        }
      }
    }
    for (const f of listing.files) {
      if (f.whiteout) continue;
      if (f.danger && f.danger !== 'link-escapes') { skipped.push({ layer, file: f }); continue; }
      if (f.path === '') continue; // the root directory itself ('./')
      totalBytes += f.size;
      const parts = f.path.split('/');
      let cur = root;
      for (let i = 0; i < parts.length - 1; i++) {
        let next = cur.children?.get(parts[i]);
        if (!next || !isDir(next)) {
          if (next) waste(next);
          const path = parts.slice(0, i + 1).join('/');
          next = newNode({ path, rawName: path, type: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, layer, implicit: true });
          (cur.children ??= new Map()).set(parts[i], next);
        }
        cur = next;
      }
      const name = parts[parts.length - 1];
      const existing = cur.children?.get(name);
      const file = mergedFile(f, layer);
      if (existing && f.type === 'directory' && isDir(existing)) {
        existing.file = file; // a directory over a directory: contents merge, metadata from the upper one
      } else {
        if (existing) waste(existing);
        (cur.children ??= new Map()).set(name, newNode(file));
      }
    }
  });

  const files: MergedFile[] = [];
  const walk = (n: Node): void => {
    if (!n.children) return;
    const names = [...n.children.keys()].sort(compareBytes);
    for (const name of names) {
      const c = n.children.get(name)!;
      files.push(c.file!);
      walk(c);
    }
  };
  walk(root);
  const wastedBytes = wasted.reduce((a, b) => a + b, 0);
  return {
    files, wastedBytesByLayer: wasted, wastedBytes, totalBytes, skipped,
    efficiency: totalBytes === 0 ? 1 : 1 - wastedBytes / totalBytes,
  };
}

/** Bytewise (UTF-8) comparison, the order GNU tar --sort=name and Go use. */
export const compareBytes = compareNames;

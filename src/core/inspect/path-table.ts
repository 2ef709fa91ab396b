/**
 * Paths held once: every distinct path component is one string of a table, and a path is a node (its
 * parent's node and its last component's number) in typed arrays. Layers of one archive share a table,
 * so a path that several layers list is one node, and the merge walks numbers instead of slicing strings.
 */
import { CoreError } from '../errors';
import { releaseBuffer } from '../memory';

/** Node of the empty path (the root). */
export const ROOT_NODE = 0;

/** A typed array grown by doubling (the one it replaces released). */
function grownInt32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  releaseBuffer(a);
  return b;
}

/** Mixes a (parent, name) pair into a hash slot. */
function hashOf(parent: number, name: number): number {
  return (Math.imul(parent, 0x9e3779b1) ^ Math.imul(name + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
}

/** Interned strings (path components and link targets) and the tree of paths built from them. */
export class PathTable {
  /** string number → string */
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  /** node → its parent's node (-1 for the root) */
  private parents = new Int32Array(64);
  /** node → string number of its last component (-1 for the root) */
  private names = new Int32Array(64);
  private count = 1;
  /** the directory of the last path `add` walked in full (undefined before any), and its node */
  private lastDir: string | undefined;
  private lastDirNode = ROOT_NODE;
  /** open addressing over nodes by (parent, name): node + 1, 0 for an empty slot */
  private slots = new Int32Array(128);

  constructor() {
    this.parents[ROOT_NODE] = -1;
    this.names[ROOT_NODE] = -1;
  }

  /** Number of nodes (the root included). */
  get nodes(): number { return this.count; }

  /** The number of a string, added when new. */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The string of a number given by `intern`. */
  string(id: number): string { return this.strings[id]; }

  /** The number of a string when it is in the table. */
  find(s: string): number | undefined { return this.ids.get(s); }

  /** The node of `parent`'s child named by string `name`; created when `create`, else -1 when absent. */
  child(parent: number, name: number, create: boolean): number {
    const mask = this.slots.length - 1;
    let slot = hashOf(parent, name) & mask;
    for (let n = this.slots[slot]; n !== 0; slot = (slot + 1) & mask, n = this.slots[slot]) {
      if (this.parents[n - 1] === parent && this.names[n - 1] === name) return n - 1;
    }
    if (!create) return -1;
    const node = this.count++;
    if (node > 0x3fffffff) throw new CoreError('invalid-argument', 'too many distinct paths to index');
    this.parents = grownInt32(this.parents, node + 1);
    this.names = grownInt32(this.names, node + 1);
    this.parents[node] = parent;
    this.names[node] = name;
    this.slots[slot] = node + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return node;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let node = 1; node < this.count; node++) {
      let slot = hashOf(this.parents[node], this.names[node]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = node + 1;
    }
    releaseBuffer(this.slots);
    this.slots = slots;
  }

  /** The node of a path ('' is the root; components split at every '/'), added when new. */
  add(path: string): number {
    if (path === '') return ROOT_NODE;
    const last = path.lastIndexOf('/');
    // a tar lists a directory's entries one after another: the directory's node is kept from the last path
    if (last >= 0 && last === this.lastDir?.length && path.startsWith(this.lastDir)) {
      return this.child(this.lastDirNode, this.intern(path.slice(last + 1)), true);
    }
    let node = ROOT_NODE;
    for (let start = 0; ;) {
      const slash = path.indexOf('/', start);
      node = this.child(node, this.intern(slash < 0 ? path.slice(start) : path.slice(start, slash)), true);
      if (slash < 0) return node;
      if (slash === last) {
        this.lastDir = path.slice(0, last);
        this.lastDirNode = node;
      }
      start = slash + 1;
    }
  }

  /** The node of a path when the table has it, else -1 (nothing is added). */
  lookup(path: string): number {
    if (path === '') return ROOT_NODE;
    let node = ROOT_NODE;
    for (let start = 0; ;) {
      const slash = path.indexOf('/', start);
      const name = this.ids.get(slash < 0 ? path.slice(start) : path.slice(start, slash));
      node = name === undefined ? -1 : this.child(node, name, false);
      if (node < 0 || slash < 0) return node;
      start = slash + 1;
    }
  }

  parent(node: number): number { return this.parents[node]; }
  /** String number of the node's last component (-1 for the root). */
  name(node: number): number { return this.names[node]; }

  /** Components of the path above the root: 0 for the root. */
  depth(node: number): number {
    let d = 0;
    for (let n = node; n !== ROOT_NODE; n = this.parents[n]) d++;
    return d;
  }

  /** The path of a node, its components joined by '/'. */
  path(node: number): string {
    if (node === ROOT_NODE) return '';
    let path = this.strings[this.names[node]];
    for (let n = this.parents[node]; n !== ROOT_NODE; n = this.parents[n]) path = `${this.strings[this.names[n]]}/${path}`;
    return path;
  }
}

import { uncompressedBlobOf } from '../image/capabilities';
import { releaseBuffer } from '../memory';
import type { Layer } from '../image/types';
import { readTar, normalizeEntryPath, resolveRootedPath, scanBlobTar } from '../tar';
import type { TarEntry, TarEntryType, TarWarning } from '../tar/types';
import { PathTable, ROOT_NODE } from './path-table';

/** Why an entry is dangerous to follow or extract (the inspector flags these; nothing follows them). */
export type EntryDanger = 'absolute-path' | 'parent-traversal' | 'empty-name' | 'link-escapes' | 'through-symlink' | 'path-too-long';

/** Longest path listed as it is, in UTF-8 bytes (Linux PATH_MAX): longer ones are flagged 'path-too-long'. */
export const MAX_PATH_BYTES = 4096;
/** Deepest path listed as it is, in components: deeper ones are flagged 'path-too-long' (tools that recurse on depth break). */
export const MAX_PATH_COMPONENTS = 1024;

const utf8 = new TextEncoder();

/** True when a normalised path is over MAX_PATH_BYTES or MAX_PATH_COMPONENTS; linear in its length. */
export function isPathTooLong(path: string): boolean {
  if (path.length > MAX_PATH_BYTES) return true;
  // a UTF-16 unit is at most 3 UTF-8 bytes; more components than 1024 need more than 2048 characters
  if (path.length * 3 > MAX_PATH_BYTES && utf8.encode(path).byteLength > MAX_PATH_BYTES) return true;
  if (path.length < 2 * MAX_PATH_COMPONENTS) return false;
  let slashes = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) if (++slashes >= MAX_PATH_COMPONENTS) return true;
  return false;
}

/** One entry of a layer as the inspector shows it (no body). */
export interface LayerFile {
  /** normalised path, no leading './' or '/', no trailing '/' */
  path: string;
  /** the name exactly as stored in the tar */
  rawName: string;
  type: TarEntryType;
  /** bytes of file data (0 for links and directories) */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  mtime: number;
  linkname?: string;
  /** set on whiteout markers: 'file' for `.wh.<name>` (target = the removed path), 'opaque' for `.wh..wh..opq` (target = the directory) */
  whiteout?: 'file' | 'opaque';
  whiteoutTarget?: string;
  danger?: EntryDanger;
}

/** Every entry of one layer, in tar order. */
export interface LayerListing {
  files: LayerFile[];
  warnings: TarWarning[];
  /** sum of regular file sizes in bytes */
  fileBytes: number;
  /** bytes of the uncompressed tar, when asked for (`measure`): counted during the one pass over a streamed layer */
  uncompressedBytes?: number;
}

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

/** Resolves a link target relative to the entry's directory; undefined when it climbs above the root. */
export function resolveLinkTarget(entryPath: string, linkname: string, hard: boolean): string | undefined {
  // Hardlink targets are archive paths; symlink targets are relative to the link's directory
  // (absolute symlinks are resolved inside the image root, which is safe for a container).
  const dir = hard ? '' : entryPath.split('/').slice(0, -1).join('/');
  return resolveRootedPath(dir, linkname) ?? undefined;
}

/** Converts a tar entry into the inspector's view, classifying whiteouts and dangers. */
export function toLayerFile(e: TarEntry): LayerFile {
  const { path, unsafe } = normalizeEntryPath(e.name);
  const f: LayerFile = {
    path, rawName: e.name, type: e.type, size: e.type === 'file' || e.type === 'contiguous' || e.type === 'sparse' ? (e.realSize ?? e.size) : 0,
    mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime,
  };
  if (e.linkname) f.linkname = e.linkname;
  if (isPathTooLong(path)) f.danger = 'path-too-long';
  else if (unsafe === 'absolute') f.danger = 'absolute-path';
  else if (unsafe === 'parent-traversal') f.danger = 'parent-traversal';
  else if (unsafe === 'empty' && e.name === '') f.danger = 'empty-name'; // '.', './' or '/' is the root itself
  else if ((e.type === 'hardlink' || e.type === 'symlink') && e.linkname) {
    const hard = e.type === 'hardlink';
    const target = resolveLinkTarget(path, e.linkname, hard);
    // A hardlink must name a path inside the archive; a relative symlink must not climb out.
    if (target === undefined || (hard && normalizeEntryPath(e.linkname).unsafe)) f.danger = 'link-escapes';
  }
  const slash = path.lastIndexOf('/');
  if (!path.startsWith(WH_PREFIX, slash + 1)) return f; // most entries: no base name or directory sliced
  const base = path.slice(slash + 1);
  const dir = slash < 0 ? '' : path.slice(0, slash);
  if (base === WH_OPAQUE) {
    f.whiteout = 'opaque';
    f.whiteoutTarget = dir;
  } else {
    f.whiteout = 'file';
    f.whiteoutTarget = (dir ? dir + '/' : '') + base.slice(WH_PREFIX.length);
  }
  return f;
}

/** True when a proper prefix of the path at `node` is a symlink listed earlier in the same layer (writing there would follow it). */
function underSymlink(table: PathTable, node: number, symlinks: Set<number>): boolean {
  for (let n = table.parent(node); n > ROOT_NODE; n = table.parent(n)) if (symlinks.has(n)) return true;
  return false;
}

/**
 * The source stream of a streamed layer, counted: the tar reader stops at the end marker and cancels
 * its input, so the wrapper keeps the source open and `drain` counts what follows (padding, trailing data).
 */
function countedSource(src: ReadableStream<Uint8Array>, signal?: AbortSignal) {
  const reader = src.getReader();
  let bytes = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await reader.read();
      if (r.done) c.close();
      else { bytes += r.value.byteLength; c.enqueue(r.value); }
    },
    cancel() {}, // the rest is counted by drain(), or the source cancelled by close()
  }, { highWaterMark: 0 });
  return {
    stream,
    async drain(): Promise<number> {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        signal?.throwIfAborted();
        bytes += r.value.byteLength;
      }
      return bytes;
    },
    close: () => { reader.cancel().catch(() => {}); },
  };
}

/** The entries of a streamed layer's uncompressed tar (a layer without its tar as a Blob). */
async function* streamedEntries(layer: Layer, out: { warnings: TarWarning[]; uncompressedBytes?: number }, measure: boolean, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  const src = measure ? countedSource(layer.uncompressed(), signal) : undefined;
  try {
    for await (const { entry } of readTar(src?.stream ?? layer.uncompressed(), { onWarning: (w) => out.warnings.push(w), signal })) yield entry;
    if (src) out.uncompressedBytes = await src.drain();
  } finally {
    src?.close();
  }
}

const TYPES: readonly TarEntryType[] = ['file', 'hardlink', 'symlink', 'char', 'block', 'directory', 'fifo', 'contiguous', 'sparse', 'other'];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));
const DANGERS: ReadonlyArray<EntryDanger | undefined> = [undefined, 'absolute-path', 'parent-traversal', 'empty-name', 'link-escapes', 'through-symlink', 'path-too-long'];
const DANGER_CODE = new Map(DANGERS.map((d, i) => [d, i]));
/** Type code of directories in `LayerIndex.types`. */
export const DIRECTORY_CODE = TYPE_CODE.get('directory')!;
const WHITEOUT_FILE = 1 << 3;
const WHITEOUT_OPAQUE = 2 << 3;

/** A typed array grown by doubling while a layer is read, trimmed once it is done; the array it replaces is released (see `releaseBuffer`). */
export function grown<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2, 64));
  b.set(a);
  releaseBuffer(a);
  return b;
}

/**
 * A column of whole numbers kept in the narrowest array that holds them exactly: Uint16 or Uint32 while
 * every value fits, Float64 once one does not (a negative, fractional or larger id, or -0).
 */
type NarrowColumn = Uint16Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;

/** Puts `v` at `i` of `a`, first widening `a` to Float64 when `v` does not fit its type exactly; returns the column. */
function setExact<T extends NarrowColumn>(a: T, i: number, v: number): T | Float64Array<ArrayBuffer> {
  a[i] = v;
  if (Object.is(a[i], v) || a instanceof Float64Array) return a;
  const wide = new Float64Array(a.length);
  wide.set(a);
  wide[i] = v;
  releaseBuffer(a);
  return wide;
}

/** A NarrowColumn grown (as `grown`) into an array of its own type. */
function grownLike(a: NarrowColumn, need: number): NarrowColumn {
  if (a instanceof Uint16Array) return grown(a, need, (k) => new Uint16Array(k));
  if (a instanceof Uint32Array) return grown(a, need, (k) => new Uint32Array(k));
  return grown(a, need, (k) => new Float64Array(k));
}

/** The columns of a LayerIndex while it is filled. */
interface Columns {
  nodes: Int32Array<ArrayBuffer>; links: Int32Array<ArrayBuffer>; types: Uint8Array<ArrayBuffer>; flags: Uint8Array<ArrayBuffer>;
  sizes: Float64Array<ArrayBuffer>; modes: NarrowColumn; uids: NarrowColumn; gids: NarrowColumn;
  mtimes: Float64Array<ArrayBuffer>;
}

/**
 * Columns a finished index grew (by doubling) before keeping exact-length copies: the next index written
 * fills them instead of growing its own from nothing, so indexing many layers leaves a few sets of
 * columns for the collector instead of two per layer. Weakly held: a collection frees what is not reused.
 */
const spareColumns: Array<WeakRef<Columns>> = [];
const SPARE_COLUMNS = 4;

/** Flag bit: the raw name is the path and a trailing '/' (as directories are stored). */
const RAW_SLASH = 1 << 5;

/**
 * Every entry of one layer in columns: its path as a node of a PathTable (shared by the layers of one
 * archive: each distinct component is one string there), its link target as a string number of that
 * table, typed arrays for the rest; the few entries with a raw name other than their path (or their path
 * and '/'), or a whiteout target, keep those in maps. `file(i)` gives the entry as a LayerFile, built
 * when asked for.
 */
export class LayerIndex {
  count = 0;
  /** path node of each entry in `table` */
  nodes = new Int32Array(0);
  /** string number of each entry's link target in `table`, -1 for none */
  links = new Int32Array(0);
  /** index into the entry types (`typeOf`) */
  types = new Uint8Array(0);
  /** danger code (bits 0–2), whiteout (bits 3–4: 1 file, 2 opaque), raw name = path + '/' (bit 5) */
  flags = new Uint8Array(0);
  sizes = new Float64Array(0);
  /** permission bits (12 bits from a tar header): Uint16 unless a listing gave a wider value */
  modes: NarrowColumn = new Uint16Array(0);
  /** Uint32 unless an id does not fit (see `NarrowColumn`) */
  uids: NarrowColumn = new Uint32Array(0);
  gids: NarrowColumn = new Uint32Array(0);
  mtimes = new Float64Array(0);
  /** raw names that differ from the path (and from the path and '/') */
  rawNames = new Map<number, string>();
  whiteoutTargets = new Map<number, string>();
  warnings: TarWarning[] = [];
  /** sum of regular file sizes in bytes (whiteout markers left out) */
  fileBytes = 0;
  uncompressedBytes?: number;

  constructor(readonly table: PathTable = new PathTable()) {}

  /** Appends one entry (`node`: its path's node in `table`, when the caller has it). */
  push(f: LayerFile, node = this.table.add(f.path)): void {
    const i = this.count++;
    if (i === 0 && this.types.length === 0) this.takeSpareColumns();
    if (i >= this.types.length) {
      const n = i + 1;
      this.nodes = grown(this.nodes, n, (k) => new Int32Array(k));
      this.links = grown(this.links, n, (k) => new Int32Array(k));
      this.types = grown(this.types, n, (k) => new Uint8Array(k));
      this.flags = grown(this.flags, n, (k) => new Uint8Array(k));
      this.sizes = grown(this.sizes, n, (k) => new Float64Array(k));
      this.modes = grownLike(this.modes, n);
      this.uids = grownLike(this.uids, n);
      this.gids = grownLike(this.gids, n);
      this.mtimes = grown(this.mtimes, n, (k) => new Float64Array(k));
    }
    this.nodes[i] = node;
    this.links[i] = f.linkname === undefined ? -1 : this.table.intern(f.linkname);
    this.types[i] = TYPE_CODE.get(f.type) ?? TYPE_CODE.get('other')!;
    const rawSlash = f.rawName !== f.path && f.rawName.length === f.path.length + 1 && f.rawName.endsWith('/') && f.rawName.startsWith(f.path);
    this.flags[i] = DANGER_CODE.get(f.danger)! | (f.whiteout === 'file' ? WHITEOUT_FILE : f.whiteout === 'opaque' ? WHITEOUT_OPAQUE : 0) | (rawSlash ? RAW_SLASH : 0);
    this.sizes[i] = f.size;
    this.modes = setExact(this.modes, i, f.mode);
    this.uids = setExact(this.uids, i, f.uid);
    this.gids = setExact(this.gids, i, f.gid);
    this.mtimes[i] = f.mtime;
    if (f.rawName !== f.path && !rawSlash) this.rawNames.set(i, f.rawName);
    if (f.whiteoutTarget !== undefined) this.whiteoutTargets.set(i, f.whiteoutTarget);
    if (!f.whiteout) this.fileBytes += f.size;
  }

  /** Drops the spare room the arrays grew by. */
  trim(): this {
    const n = this.count;
    const grownColumns: Columns = {
      nodes: this.nodes, links: this.links, types: this.types, flags: this.flags, sizes: this.sizes, modes: this.modes,
      uids: this.uids, gids: this.gids, mtimes: this.mtimes,
    };
    this.nodes = this.nodes.slice(0, n);
    this.links = this.links.slice(0, n);
    this.types = this.types.slice(0, n);
    this.flags = this.flags.slice(0, n);
    this.sizes = this.sizes.slice(0, n);
    this.modes = this.modes.slice(0, n);
    this.uids = this.uids.slice(0, n);
    this.gids = this.gids.slice(0, n);
    this.mtimes = this.mtimes.slice(0, n);
    if (grownColumns.types.length > n && spareColumns.length < SPARE_COLUMNS) spareColumns.push(new WeakRef(grownColumns));
    else for (const a of Object.values(grownColumns)) releaseBuffer(a); // copied above: nothing reads them
    return this;
  }

  /** Starts from the grown columns a finished index left (see `spareColumns`), when one is still there. */
  private takeSpareColumns(): void {
    for (let spare = spareColumns.pop(); spare; spare = spareColumns.pop()) {
      const c = spare.deref();
      if (!c) continue;
      this.nodes = c.nodes; this.links = c.links; this.types = c.types; this.flags = c.flags; this.sizes = c.sizes;
      this.modes = c.modes; this.uids = c.uids; this.gids = c.gids; this.mtimes = c.mtimes;
      return;
    }
  }

  /** An index over listed files (as `listLayer` gives them), its paths in `table`. */
  static of(listing: LayerListing, table?: PathTable): LayerIndex {
    const x = new LayerIndex(table);
    for (const f of listing.files) x.push(f);
    x.fileBytes = listing.fileBytes;
    x.warnings = listing.warnings;
    if (listing.uncompressedBytes !== undefined) x.uncompressedBytes = listing.uncompressedBytes;
    return x.trim();
  }

  /** This index with its paths in `table` (itself when they are there already). */
  inTable(table: PathTable): LayerIndex {
    return table === this.table ? this : LayerIndex.of(this.toListing(), table);
  }

  /** The entry's normalised path. */
  path(i: number): string { return this.table.path(this.nodes[i]); }
  /** The entry's link target (undefined when it has none). */
  linkname(i: number): string | undefined {
    const l = this.links[i];
    return l < 0 ? undefined : this.table.string(l);
  }
  type(i: number): TarEntryType { return TYPES[this.types[i]]; }
  isDirectory(i: number): boolean { return this.types[i] === DIRECTORY_CODE; }
  danger(i: number): EntryDanger | undefined { return DANGERS[this.flags[i] & 7]; }
  whiteout(i: number): LayerFile['whiteout'] {
    const w = this.flags[i] & (WHITEOUT_FILE | WHITEOUT_OPAQUE);
    return w === WHITEOUT_FILE ? 'file' : w === WHITEOUT_OPAQUE ? 'opaque' : undefined;
  }
  rawName(i: number): string {
    return this.rawNames.get(i) ?? (this.flags[i] & RAW_SLASH ? this.path(i) + '/' : this.path(i));
  }

  /** Entry `i` as a LayerFile (the object `toLayerFile` made for it). */
  file(i: number): LayerFile {
    const path = this.path(i);
    const f: LayerFile = {
      path, rawName: this.rawNames.get(i) ?? (this.flags[i] & RAW_SLASH ? path + '/' : path), type: this.type(i), size: this.sizes[i],
      mode: this.modes[i], uid: this.uids[i], gid: this.gids[i], mtime: this.mtimes[i],
    };
    const link = this.linkname(i);
    if (link !== undefined) f.linkname = link;
    const danger = this.danger(i);
    if (danger) f.danger = danger;
    const wh = this.whiteout(i);
    if (wh) {
      f.whiteout = wh;
      f.whiteoutTarget = this.whiteoutTargets.get(i);
    }
    return f;
  }

  /** The listing with one LayerFile per entry. */
  toListing(): LayerListing {
    const files: LayerFile[] = [];
    for (let i = 0; i < this.count; i++) files.push(this.file(i));
    return { files, warnings: this.warnings, fileBytes: this.fileBytes, ...(this.uncompressedBytes !== undefined ? { uncompressedBytes: this.uncompressedBytes } : {}) };
  }
}

/**
 * Indexes a layer's entries in columns (bodies are never read or held). An uncompressed layer that can
 * give its bytes as a Blob (`uncompressedBlob`) is indexed by its headers only; others are streamed once.
 * With `measure`, a streamed layer is read to its end in that same pass and `uncompressedBytes` set,
 * so a summary need not decode the layer a second time to learn its size.
 */
export async function indexLayer(layer: Layer, opts?: { signal?: AbortSignal; measure?: boolean; table?: PathTable }): Promise<LayerIndex> {
  const x = new LayerIndex(opts?.table);
  const out: { warnings: TarWarning[]; uncompressedBytes?: number } = { warnings: x.warnings };
  /** table nodes of this layer's symlinks */
  const symlinks = new Set<number>();
  const blob = uncompressedBlobOf(layer);
  const add = (entry: TarEntry) => {
    const f = toLayerFile(entry);
    const node = x.table.add(f.path);
    if (!f.danger && symlinks.size && underSymlink(x.table, node, symlinks)) f.danger = 'through-symlink';
    if (f.type === 'symlink') symlinks.add(node);
    x.push(f, node);
  };
  // a Blob layer's headers are read by a callback walk (no promise per entry while they are buffered);
  // entries are read by name only (`toLayerFile`), so their name bytes are not copied out
  if (blob) await scanBlobTar(blob, (w) => out.warnings.push(w), add, { signal: opts?.signal, keepNameBytes: false });
  else for await (const entry of streamedEntries(layer, out, opts?.measure ?? false, opts?.signal)) add(entry);
  if (blob && opts?.measure) out.uncompressedBytes = blob.size;
  if (out.uncompressedBytes !== undefined) x.uncompressedBytes = out.uncompressedBytes;
  return x.trim();
}

/** Lists a layer's entries as objects, one per entry (see `indexLayer`, which the inspector's session keeps instead). */
export async function listLayer(layer: Layer, opts?: { signal?: AbortSignal; measure?: boolean }): Promise<LayerListing> {
  return (await indexLayer(layer, opts)).toListing();
}

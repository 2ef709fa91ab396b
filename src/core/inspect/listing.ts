import { uncompressedBlobOf } from '../image/capabilities';
import type { Layer } from '../image/types';
import { indexTar, readTar, normalizeEntryPath, resolveRootedPath } from '../tar';
import type { TarEntry, TarEntryType, TarWarning } from '../tar/types';

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
  const base = path.slice(slash + 1);
  const dir = slash < 0 ? '' : path.slice(0, slash);
  if (base === WH_OPAQUE) {
    f.whiteout = 'opaque';
    f.whiteoutTarget = dir;
  } else if (base.startsWith(WH_PREFIX)) {
    f.whiteout = 'file';
    f.whiteoutTarget = (dir ? dir + '/' : '') + base.slice(WH_PREFIX.length);
  }
  return f;
}

/** True when a proper prefix of `path` is a symlink listed earlier in the same layer (writing there would follow it). */
function underSymlink(path: string, symlinks: Set<string>): boolean {
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    if (symlinks.has(path.slice(0, i))) return true;
  }
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

/** The entries of a layer's uncompressed tar: header-only through Blob.slice when the layer holds it as a Blob, else streamed. */
async function* layerEntries(layer: Layer, out: { warnings: TarWarning[]; uncompressedBytes?: number }, measure: boolean, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  const blob = uncompressedBlobOf(layer);
  if (blob) {
    const idx = await indexTar(blob, { signal });
    out.warnings.push(...idx.warnings);
    yield* idx.entries;
    if (measure) out.uncompressedBytes = blob.size;
    return;
  }
  const src = measure ? countedSource(layer.uncompressed(), signal) : undefined;
  try {
    for await (const { entry } of readTar(src?.stream ?? layer.uncompressed(), { onWarning: (w) => out.warnings.push(w), signal })) yield entry;
    if (src) out.uncompressedBytes = await src.drain();
  } finally {
    src?.close();
  }
}

/**
 * Lists a layer's entries (bodies are never read or held). An uncompressed layer that can give its
 * bytes as a Blob (`uncompressedBlob`) is indexed by its headers only; others are streamed once.
 * With `measure`, a streamed layer is read to its end in that same pass and `uncompressedBytes` set,
 * so a summary need not decode the layer a second time to learn its size.
 */
export async function listLayer(layer: Layer, opts?: { signal?: AbortSignal; measure?: boolean }): Promise<LayerListing> {
  const files: LayerFile[] = [];
  const out: { warnings: TarWarning[]; uncompressedBytes?: number } = { warnings: [] };
  let fileBytes = 0;
  const symlinks = new Set<string>();
  for await (const entry of layerEntries(layer, out, opts?.measure ?? false, opts?.signal)) {
    const f = toLayerFile(entry);
    if (!f.danger && symlinks.size && underSymlink(f.path, symlinks)) f.danger = 'through-symlink';
    if (f.type === 'symlink') symlinks.add(f.path);
    if (!f.whiteout) fileBytes += f.size;
    files.push(f);
  }
  return { files, warnings: out.warnings, fileBytes, ...(out.uncompressedBytes !== undefined ? { uncompressedBytes: out.uncompressedBytes } : {}) };
}

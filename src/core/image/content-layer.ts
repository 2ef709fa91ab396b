import { digestStream, hashingStream, type Digest } from '../digest';
import { CoreError } from '../errors';
import { MediaTypes } from '../oci';
import { normalizeEntryPath, sortTarEntries, tarSize, writeTar, type TarWriteEntry } from '../tar';
import { once } from './image';
import type { Layer } from './types';

/** One item of content to put in a layer, before the metadata policy is applied. */
export interface ContentItem {
  /** posix path relative to the layer root ('a/b.txt'); normalised, '..' refused */
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  /** file bytes; a function is called when the tar is written (each time) */
  body?: Uint8Array | Blob | (() => ReadableStream<Uint8Array>);
  /** byte length of the file; required when body is a function */
  size?: number;
  /** any x bit set at the source → mode 0755 */
  executable?: boolean;
  /** symlink target, stored as given */
  linkname?: string;
}

/** Options shared by every way of making a layer from content. */
export interface ContentLayerOptions {
  /** mtime of every entry, seconds since the epoch (default 0; the CLI passes SOURCE_DATE_EPOCH) */
  epoch?: number;
  /** a folder every path is put under ('opt/app'); its parents are created too */
  prefix?: string;
}

/**
 * The metadata policy of layers made from content, the same in Node and in browsers:
 * uid/gid 0 with empty user/group names; mode 0755 for directories and executables, 0644 for
 * other files, 0777 for symlinks; mtime = epoch; parent directories created (0755) where not
 * listed; the same path twice: the later item wins; entries sorted by sortTarEntries (GNU tar
 * --sort=name order). Paths with '..' throw 'unsafe-path'.
 */
export function applyContentPolicy(items: Iterable<ContentItem>, opts: ContentLayerOptions = {}): TarWriteEntry[] {
  const epoch = opts.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0) throw new CoreError('invalid-argument', `epoch must be whole seconds ≥ 0, got ${epoch}`);
  const prefix = opts.prefix ? safePath(opts.prefix) : '';
  const byPath = new Map<string, TarWriteEntry>();
  const dirs = new Set<string>();
  const addParents = (p: string): void => {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  };
  if (prefix) { dirs.add(prefix); addParents(prefix); }
  for (const it of items) {
    const rel = safePath(it.path);
    const name = prefix ? `${prefix}/${rel}` : rel;
    addParents(name);
    const base = { name, uid: 0, gid: 0, mtime: epoch };
    if (it.kind === 'directory') {
      byPath.set(name, { ...base, type: 'directory', mode: 0o755 });
    } else if (it.kind === 'symlink') {
      if (!it.linkname) throw new CoreError('invalid-argument', `symlink ${it.path} has no target`);
      byPath.set(name, { ...base, type: 'symlink', mode: 0o777, linkname: it.linkname });
    } else {
      const body = it.body ?? new Uint8Array(0);
      const size = it.size ?? (body instanceof Uint8Array ? body.byteLength : body instanceof Blob ? body.size : undefined);
      if (size === undefined) throw new CoreError('invalid-argument', `file ${it.path}: size is required with a stream body`);
      byPath.set(name, { ...base, type: 'file', mode: it.executable ? 0o755 : 0o644, size, body });
    }
  }
  for (const d of dirs) {
    const have = byPath.get(d);
    if (have && have.type !== 'directory') throw new CoreError('invalid-argument', `${d} is both a ${have.type} and a parent directory`);
    if (!have) byPath.set(d, { name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: epoch });
  }
  return sortTarEntries([...byPath.values()]);
}

function safePath(p: string): string {
  const n = normalizeEntryPath(p);
  if (n.unsafe === 'parent-traversal') throw new CoreError('unsafe-path', `path ${JSON.stringify(p)} leaves the layer root ('..')`);
  if (n.unsafe === 'empty') throw new CoreError('invalid-argument', `empty path ${JSON.stringify(p)}`);
  return n.path;
}

/** Options of layerFromTarEntries. */
export interface TarEntriesLayerOptions {
  /**
   * Keeps the tar written by the digest pass (a temporary file in Node): later reads copy it instead of
   * reading, relocating and encoding every file again. Without it each read writes the tar anew.
   */
  spill?: (s: ReadableStream<Uint8Array>) => Promise<Blob>;
}

/**
 * An uncompressed layer (media type application/vnd.oci.image.layer.v1.tar) over tar entries,
 * written in the given order. size() is known at once (tarSize); digest() = diffId() is
 * computed by streaming writeTar once (memoised); uncompressed() writes the tar again, or with
 * `opts.spill` reads the copy the digest pass kept.
 */
export function layerFromTarEntries(entries: TarWriteEntry[] | (() => Promise<TarWriteEntry[]>), opts: TarEntriesLayerOptions = {}): Layer {
  const list = once(async () => typeof entries === 'function' ? entries() : entries);
  const spill = opts.spill;
  let kept: Blob | undefined;
  const info = once(async () => {
    if (!spill) return digestStream(writeTar(await list()));
    // one pass: hashed on its way into the spill (the spill's pace, nothing queued)
    const hashing = hashingStream();
    kept = await spill(writeTar(await list()).pipeThrough(hashing.stream));
    return hashing.result;
  });
  const stream = (): ReadableStream<Uint8Array> => {
    let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        if (!inner) {
          if (spill) await info();
          inner = (kept ? kept.stream() : writeTar(await list())).getReader();
        }
        const r = await inner.read();
        if (r.done) c.close(); else c.enqueue(r.value);
      },
      cancel(reason) { return inner?.cancel(reason); },
    }, { highWaterMark: 0 });
  };
  const digest = async (): Promise<Digest> => (await info()).digest;
  const size = async (): Promise<number> => tarSize(await list());
  return {
    mediaType: MediaTypes.ociLayer,
    compression: 'none',
    digest,
    diffId: digest,
    size,
    uncompressedSize: size,
    compressed: stream,
    uncompressed: stream,
  };
}

/** A file for layerFromFiles. */
export interface FileSpec {
  path: string;
  content?: string | Uint8Array | Blob;
  type?: 'file' | 'directory' | 'symlink';
  /** only the x bits matter: any of 0o111 set makes the file 0755, otherwise 0644 */
  mode?: number;
  linkname?: string;
}

/**
 * An uncompressed, deterministic layer from in-memory files: an array of FileSpec, or a record
 * path → content (strings are UTF-8). Metadata follows applyContentPolicy.
 */
export function layerFromFiles(files: FileSpec[] | Record<string, string | Uint8Array>, opts: ContentLayerOptions = {}): Layer {
  const specs: FileSpec[] = Array.isArray(files) ? files : Object.entries(files).map(([path, content]) => ({ path, content }));
  const enc = new TextEncoder();
  const items: ContentItem[] = specs.map((f) => ({
    path: f.path,
    kind: f.type ?? 'file',
    body: typeof f.content === 'string' ? enc.encode(f.content) : f.content,
    executable: f.mode !== undefined && (f.mode & 0o111) !== 0,
    linkname: f.linkname,
  }));
  return layerFromTarEntries(applyContentPolicy(items, opts));
}

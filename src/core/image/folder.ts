import { CoreError } from '../errors';
import { applyContentPolicy, layerFromTarEntries, type ContentItem, type ContentLayerOptions } from './content-layer';
import type { Layer } from './types';

/** One thing found in a folder. */
export interface FolderItem {
  /** posix path relative to the folder root, no leading './' */
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  /** byte length of a file */
  size?: number;
  /** any x bit set (undefined: the source cannot tell → not executable) */
  executable?: boolean;
  /** symlink target */
  linkname?: string;
  /** the file's bytes */
  open?(): Blob | Promise<Blob>;
}

/** A folder to read: Node path, browser directory handle, dropped File list. */
export interface FolderSource {
  walk(): AsyncIterable<FolderItem>;
}

/** Options of layerFromFolder. */
export interface FolderLayerOptions extends ContentLayerOptions {
  /** keep an item when this returns true (paths are relative to the folder, before `prefix`) */
  filter?: (path: string, kind: FolderItem['kind']) => boolean;
  /**
   * The portable policy: what every source can see, so the same folder gives the same layer from
   * a Node path, a directory handle and a dropped File list: regular files only (mode 0644),
   * directories only as parents of files, no symlinks, no empty directories, no x bits.
   * Without it, each source gives what it can see (Node: symlinks, x bits, empty directories;
   * directory handle: empty directories; File list: files only).
   */
  portable?: boolean;
}

/**
 * An uncompressed, deterministic layer (application/vnd.oci.image.layer.v1.tar) from a folder.
 * The folder is walked once, when the layer is first used; items are sorted (sortTarEntries), so
 * readdir order never matters; metadata follows applyContentPolicy. diffId is computed by
 * streaming the tar once (memoised); uncompressed() re-reads the files.
 */
export function layerFromFolder(source: FolderSource, opts: FolderLayerOptions = {}): Layer {
  return layerFromTarEntries(async () => {
    const items: ContentItem[] = [];
    for await (const f of source.walk()) {
      if (opts.filter && !opts.filter(f.path, f.kind)) continue;
      if (opts.portable && f.kind !== 'file') continue;
      if (f.kind === 'file') {
        const size = f.size ?? (f.open ? (await f.open()).size : 0);
        const open = f.open;
        items.push({ path: f.path, kind: 'file', size, executable: !opts.portable && f.executable === true, body: open ? () => lazyBlobStream(open, f.path) : undefined });
      } else {
        items.push({ path: f.path, kind: f.kind, linkname: f.linkname });
      }
    }
    return applyContentPolicy(items, opts);
  });
}

/** A stream over a Blob that is opened on first read (so a walk does not open every file at once). */
function lazyBlobStream(open: () => Blob | Promise<Blob>, path: string): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        reader ??= (await open()).stream().getReader();
        const r = await reader.read();
        if (r.done) c.close(); else c.enqueue(r.value);
      } catch (e) {
        if (e instanceof CoreError) throw e;
        throw new CoreError('invalid-argument', `cannot read ${path}: ${(e as Error).message} (was it changed or removed while the layer was built?)`, { cause: e });
      }
    },
    cancel(reason) { return reader?.cancel(reason); },
  }, { highWaterMark: 0 });
}

/**
 * A folder from a browser FileSystemDirectoryHandle (showDirectoryPicker, OPFS). Directories,
 * empty ones included, and files; the File System Access API exposes no symlinks and no mode
 * bits, so no item is a symlink and executable is unknown (files become 0644).
 */
export function folderFromDirectoryHandle(handle: FileSystemDirectoryHandle): FolderSource {
  return {
    async *walk() {
      const stack: Array<{ dir: FileSystemDirectoryHandle; path: string }> = [{ dir: handle, path: '' }];
      while (stack.length) {
        const { dir, path } = stack.pop()!;
        const children: FileSystemHandle[] = [];
        for await (const h of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) children.push(h);
        children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const h of children) {
          const p = path ? `${path}/${h.name}` : h.name;
          if (h.kind === 'directory') {
            yield { path: p, kind: 'directory' };
            stack.push({ dir: h as FileSystemDirectoryHandle, path: p });
          } else {
            const file = await (h as FileSystemFileHandle).getFile();
            yield { path: p, kind: 'file', size: file.size, open: () => file };
          }
        }
      }
    },
  };
}

/**
 * A folder from a dropped or picked File list (`<input webkitdirectory>`): paths come from
 * `webkitRelativePath` without its first component (the folder's own name), or from `name` when
 * that is empty. Items may also be `{ path, file }` pairs, for Files whose path is known otherwise
 * (drag-and-drop entries, or Files sent to a worker, where webkitRelativePath is lost in the copy);
 * the path is taken the same way. Files only: directories exist as parents of files (empty ones are
 * lost), and there are no symlinks or mode bits (files become 0644).
 */
export function folderFromFileList(files: Iterable<File | { path: string; file: File }>): FolderSource {
  return {
    async *walk() {
      for (const item of files) {
        const f = item instanceof Blob ? item : item.file;
        const relPath = item instanceof Blob ? f.webkitRelativePath : item.path;
        const rel = relPath ? relPath.split('/').slice(1).join('/') : f.name;
        yield { path: rel || f.name, kind: 'file', size: f.size, open: () => f };
      }
    },
  };
}

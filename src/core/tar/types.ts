/** The kinds of tar entry the core distinguishes. */
export type TarEntryType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'char'
  | 'block'
  | 'directory'
  | 'fifo'
  | 'contiguous'
  | 'sparse'
  | 'other';

/** One entry of a tar, with every header field resolved (PAX and GNU long names applied). */
export interface TarEntry {
  /** path as stored (PAX `path` / GNU long name applied), decoded as UTF-8 (invalid bytes as U+FFFD) */
  name: string;
  /** the exact bytes of the name, for byte-level comparison (Latin-1 names and the like); a walk told not to keep them (`walkTar`) gives a view valid until its next step */
  nameBytes: Uint8Array;
  type: TarEntryType;
  /** the raw typeflag character ('0', '5', 'L', ...) */
  typeflag: string;
  /** permission bits and setuid/setgid/sticky (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** modification time in seconds since the epoch (fractional with PAX) */
  mtime: number;
  /** link target for symlinks and hardlinks ('' otherwise) */
  linkname: string;
  /** bytes of entry data in the archive (for sparse files: the stored data, not the logical size) */
  size: number;
  /** logical size of a sparse file (= size for other entries) */
  realSize?: number;
  devmajor: number;
  devminor: number;
  /** byte offset of this entry's first header block (including any PAX/GNU extension headers) */
  headerOffset: number;
  /** byte offset of the entry data in the (uncompressed) tar */
  dataOffset: number;
  /** PAX records that applied to this entry (global ones included), e.g. SCHILY.xattr.* */
  pax?: Record<string, string>;
}

/** A problem that does not stop reading (GNU tar would only warn). */
export interface TarWarning {
  code: 'missing-end-marker' | 'trailing-garbage' | 'non-utf8-name' | 'unknown-typeflag' | 'bad-checksum-ignored' | (string & {});
  message: string;
  offset?: number;
}

/** What to write for one entry. Defaults: uid/gid 0, mtime 0, mode 0o644 (0o755 directories). */
export interface TarWriteEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** seconds since the epoch */
  mtime?: number;
  linkname?: string;
  /** byte length of the body; required for files with a stream body (unless `deferSize`) */
  size?: number;
  /**
   * A stream body of unknown length (under 8 GiB): the header goes out with size 0, the body is counted
   * while it streams, and writeTar's `onPatch` receives the real header and its offset, for a sink that
   * can seek (a file) to write over the first one. The patched archive equals the one written with `size`.
   */
  deferSize?: boolean;
  /** file contents: bytes, a Blob, or a function giving a fresh stream of exactly `size` bytes */
  body?: Uint8Array | Blob | (() => ReadableStream<Uint8Array>);
  devmajor?: number;
  devminor?: number;
  /** extra PAX records (e.g. SCHILY.xattr.*) */
  pax?: Record<string, string>;
}

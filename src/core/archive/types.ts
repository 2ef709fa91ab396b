import type { Digest } from '../digest';
import type { Image } from '../image/types';
import type { Platform } from '../oci';
import type { TarEntry } from '../tar/types';

/**
 * The format an archive was written in:
 * - `docker-legacy`: classic `docker save` (`<id>/layer.tar`, `<id>/json`, `repositories`, `manifest.json`)
 * - `docker-skopeo`: skopeo/crane/kaniko style (`manifest.json`, layers named by digest, config `sha256:…` or `<hex>.json`)
 * - `docker-oci`: Docker ≥ 25 (`manifest.json` plus an OCI layout: `oci-layout`, `index.json`, `blobs/sha256/`)
 * - `oci-layout`: a pure OCI image layout (a tar or a folder)
 */
export type ArchiveDialect = 'docker-legacy' | 'docker-skopeo' | 'docker-oci' | 'oci-layout';

/** One image found in an archive. */
export interface ArchiveImage {
  /** tags as the archive names them (manifest.json RepoTags, or index.json ref annotations); may be empty */
  tags: string[];
  image: Image;
  /** the platform chosen or announced by the index (OCI layouts); the config's os/arch otherwise */
  platform?: Platform;
  /** digest of the stored manifest (OCI layouts and Docker ≥ 25); absent when the manifest was synthesised */
  manifestDigest?: Digest;
  /** archive member (or folder path) holding the config */
  configPath: string;
  /** archive members (or folder paths) holding the layers, bottom first, as stored (maybe compressed) */
  layerPaths: string[];
}

/** What readImageArchive found. */
export interface ImageArchive {
  dialect: ArchiveDialect;
  /** compression wrapped around the whole tar (a `docker save | gzip` file) */
  outerCompression: 'none' | 'gzip';
  /** one per manifest.json entry / per image in index.json (after platform choice) */
  images: ArchiveImage[];
  /** raw members of the (uncompressed) archive tar; empty for folders */
  members: TarEntry[];
  /** bytes of a member by its name (links followed); meant for small members such as JSON */
  readMember(name: string): Promise<Uint8Array>;
  /** problems that did not stop reading */
  warnings: string[];
}

/**
 * A folder holding an OCI layout (a directory on disk, a dropped directory in a browser...).
 * Paths are relative to the folder, `/`-separated, without a leading `./`.
 */
export interface LayoutFolder {
  /** the file's contents; rejects when it is absent or is not a regular file */
  readFile(path: string): Promise<Blob>;
  /** whether anything (file or directory) exists at the path */
  exists(path: string): Promise<boolean>;
  /** whether the path is a directory (optional: without it, directories are detected by a failing readFile) */
  isDirectory?(path: string): Promise<boolean>;
}

/** Options of readImageArchive. */
export interface ReadArchiveOptions {
  /**
   * Only the images of this platform (multi-platform indexes: that one; other images: by the platform they
   * announce); none → 'platform-not-found' naming the platforms there are. Without it, a multi-platform
   * index gives linux/amd64, else its only platform; every other image is read.
   */
  platform?: Platform;
  /**
   * Stores a decompressed outer tar (a gzip-wrapped save) and returns it as a Blob. The default
   * collects it in memory; in Node use `spillToTempFile` from `spill.node.ts`.
   */
  spill?: (stream: ReadableStream<Uint8Array>) => Promise<Blob>;
  /**
   * Bound in bytes on what is read into memory or spilled: each metadata member (default 16 MiB) and
   * the tar unwrapped from a gzip-wrapped save (default: none).
   */
  maxBytes?: number;
}

/** The image module's walkable folder (folderFromPath, folderFromDirectoryHandle, folderFromFileList): also accepted. */
export type { FolderSource as WalkableFolder } from '../image/folder';

/** True when the input is a walkable folder (image module) rather than a Blob. */
export function isWalkableFolder(x: unknown): x is import('../image/folder').FolderSource {
  return typeof x === 'object' && x !== null && typeof (x as { walk?: unknown }).walk === 'function' && !(x instanceof Blob);
}

/** True when the input is a LayoutFolder rather than a Blob. */
export function isLayoutFolder(x: unknown): x is LayoutFolder {
  return typeof x === 'object' && x !== null && typeof (x as LayoutFolder).readFile === 'function'
    && typeof (x as LayoutFolder).exists === 'function' && !(x instanceof Blob);
}

/**
 * openImage: the one resolver every image source is reached through. A registry reference, an image
 * tarball (docker save of any version, skopeo/crane archives, OCI layout tars, gzip-wrapped saves) as a
 * Blob or File, or an OCI layout folder (a LayoutFolder, a walkable folder or a browser directory handle).
 * Paths on disk are read by a `openPath` the Node side passes in (the core has no file system).
 */
import { normalizeTag, readImageArchive, type ArchiveImage, type ImageArchive, type LayoutFolder, type WalkableFolder } from '../archive';
import { isLayoutFolder, isWalkableFolder } from '../archive/types';
import type { BlobStore } from '../cache';
import type { Digest } from '../digest';
import { ArchiveError, CoreError } from '../errors';
import type { Platform } from '../oci';
import { formatReference, parseReference, fetchRegistryImage, RegistryClient, type Credentials, type ImageReference, type PulledImage } from '../registry';
import { folderFromDirectoryHandle } from './folder';
import type { Image } from './types';

/** What openImage takes: a reference or path (a string), a tarball, or an OCI layout folder. */
export type ImageInput = string | Blob | LayoutFolder | WalkableFolder | FileSystemDirectoryHandle;

/** Options of openImage. */
export interface OpenImageOptions {
  /** the platform wanted (a multi-platform index: that one; anything else must be it); default linux/amd64 for indexes */
  platform?: Platform;
  /** registry credentials, for every registry or per registry host */
  credentials?: Credentials | ((registry: string) => Credentials | undefined);
  /** plain http to the registry */
  insecure?: boolean;
  /** the fetch registry requests go through (the CORS proxy in a browser); default globalThis.fetch */
  fetch?: typeof fetch;
  /** a ready client instead (credentials, insecure and fetch are then ignored) */
  client?: RegistryClient;
  /** where pulled layer blobs are kept, verified (the cache); default memory */
  store?: BlobStore;
  /** which image of an archive holding several: the one tagged NAME:TAG (any spelling of the same tag) */
  image?: string;
  /** how the caller's user gives `image` (`--image`): the warning that says which image was taken then says how to choose */
  imageHint?: string;
  /** keeps a decompressed gzip-wrapped tarball (default: in memory; in Node spillToTempFile) */
  spill?: (stream: ReadableStream<Uint8Array>) => Promise<Blob>;
  /**
   * Opens a path (Node): a Blob for a file, a LayoutFolder for a folder, undefined when nothing is there;
   * throws CoreError 'invalid-argument' for what is neither. Without it, a string is always a reference.
   */
  openPath?: (path: string) => Promise<Blob | LayoutFolder | undefined>;
  /** per-blob download progress of a pull (compressed bytes) */
  onProgress?: (digest: Digest, bytes: number, total: number) => void;
  signal?: AbortSignal;
}

/** An opened image: the image, where it came from, and what its source said about it. */
export interface OpenedImage {
  image: Image;
  /** `archive`: a tarball; `layout`: an OCI layout folder; `registry`: pulled by reference */
  source: 'registry' | 'archive' | 'layout';
  /** the archive's tags of the image (may be empty), or the reference's `registry/repository:tag` */
  tags: string[];
  platform?: Platform;
  /** the stored manifest's digest (registries, OCI layouts, Docker ≥ 25 saves) */
  manifestDigest?: Digest;
  /** registry only: the pull (reference, index digest); its layers are RemoteLayers a push can mount */
  pulled?: PulledImage;
  /** archive and layout only: everything read (every image, dialect, members) and which image was taken */
  archive?: ImageArchive;
  index?: number;
  /** what did not stop opening (the archive's warnings, which image of several was taken) */
  warnings: string[];
}

/** An image opened from a registry: the pull's digests and platform are always known. */
export type PulledOpenedImage = OpenedImage & Required<Pick<OpenedImage, 'manifestDigest' | 'platform' | 'pulled'>>;

/** How a string names an image: a path (`docker-archive:`/`oci-archive:`/`oci:` force it) or a reference (`docker://` forces it). */
export function classifyImageString(s: string): { kind: 'path' | 'reference' | 'either'; value: string } {
  const m = /^(docker-archive|oci-archive|oci|docker):(.*)$/s.exec(s);
  if (m?.[1] === 'docker') {
    if (!m[2].startsWith('//')) throw new CoreError('invalid-argument', `"${s}": a reference is written docker://NAME[:TAG]`);
    return { kind: 'reference', value: m[2].slice(2) };
  }
  if (m && m[2]) return { kind: 'path', value: m[2] };
  return { kind: 'either', value: s };
}

/** Whether a string can only be meant as a path (a reference never starts with / . ~ nor ends in .tar/.tgz/.gz). */
function looksLikePath(s: string): boolean {
  return /^(\/|\.\.?(\/|$)|~)/.test(s) || /\\/.test(s) || /\.(tar|tgz|gz)$/i.test(s);
}

function isDirectoryHandle(x: unknown): x is FileSystemDirectoryHandle {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'directory'
    && typeof (x as { getDirectoryHandle?: unknown }).getDirectoryHandle === 'function';
}

/** The same tag in any spelling (`busybox`, `busybox:latest`, `docker.io/library/busybox:latest`), or the text as given. */
function tagKey(tag: string): string {
  try { return normalizeTag(tag).full; } catch { return tag; }
}

const tagsOf = (i: ArchiveImage, n: number): string => i.tags[0] ?? `image ${n} (untagged)`;

/** The image of an archive: the one tagged `want`, else the only one, else the first (with a warning saying so). */
function pickImage(images: ArchiveImage[], what: string, want: string | undefined, hint: string | undefined, warnings: string[]): number {
  if (want) {
    const key = tagKey(want);
    const hit = images.findIndex((i) => i.tags.some((t) => tagKey(t) === key));
    if (hit < 0) throw new ArchiveError('image-not-found', `${what} has no image tagged ${want}; it holds ${images.map(tagsOf).join(', ')}`);
    return hit;
  }
  if (images.length > 1) {
    warnings.push(`${what} holds ${images.length} images (${images.map(tagsOf).join(', ')}); took the first, ${tagsOf(images[0], 0)}${hint ? `: choose one with ${hint} NAME:TAG` : ''}`);
  }
  return 0;
}

/** Reads a tarball or layout folder and takes one of its images. */
async function openArchived(input: Blob | LayoutFolder | WalkableFolder, what: string, opts: OpenImageOptions): Promise<OpenedImage> {
  const archive = await readImageArchive(input, { ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.spill ? { spill: opts.spill } : {}) });
  const warnings = [...archive.warnings];
  const index = pickImage(archive.images, what, opts.image, opts.imageHint, warnings);
  const picked = archive.images[index];
  return {
    image: picked.image, source: input instanceof Blob ? 'archive' : 'layout', tags: picked.tags,
    ...(picked.platform ? { platform: picked.platform } : {}), ...(picked.manifestDigest ? { manifestDigest: picked.manifestDigest } : {}),
    archive, index, warnings,
  };
}

/**
 * Pulls a reference for one platform (openImage's registry-only form): layers are fetched into `store`,
 * verified, when first read.
 */
export async function openRegistryImage(ref: string | ImageReference, opts: Omit<OpenImageOptions, 'openPath' | 'spill' | 'image' | 'imageHint'> = {}): Promise<PulledOpenedImage> {
  const creds = opts.credentials;
  const client = opts.client ?? new RegistryClient({
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(creds ? { credentials: typeof creds === 'function' ? creds : () => creds } : {}),
    ...(opts.insecure ? { insecure: () => true } : {}),
  });
  const pulled = await fetchRegistryImage(client, ref, {
    ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.store ? { store: opts.store } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    image: pulled.image, source: 'registry', tags: [formatReference({ ...pulled.ref, digest: undefined, tag: pulled.ref.tag ?? 'latest' })],
    platform: pulled.platform, manifestDigest: pulled.manifestDigest, pulled, warnings: [],
  };
}

/**
 * Opens an image from any source. A string is a path when `openPath` finds something there (or a
 * `docker-archive:`, `oci-archive:` or `oci:` prefix says so), else a registry reference (`docker://`
 * forces that); a string that is neither is CoreError 'invalid-argument' naming it. Archives holding
 * several images give the one `image` names, else the first (with a warning). A platform no image
 * has is 'platform-not-found'.
 */
export async function openImage(input: ImageInput, opts: OpenImageOptions = {}): Promise<OpenedImage> {
  if (input instanceof Blob) return openArchived(input, (input as Partial<File>).name || 'the archive', opts);
  if (isDirectoryHandle(input)) return openArchived(folderFromDirectoryHandle(input), input.name || 'the folder', opts);
  if (isLayoutFolder(input) || isWalkableFolder(input)) return openArchived(input, 'the layout folder', opts);
  if (typeof input !== 'string') throw new CoreError('invalid-argument', 'openImage takes a reference, a path, a Blob or File, or an OCI layout folder');
  const { kind, value } = classifyImageString(input);
  if (kind !== 'reference' && opts.openPath) {
    const opened = await opts.openPath(value);
    if (opened) return openArchived(opened, value, opts);
  }
  if (kind === 'path' || (kind === 'either' && looksLikePath(value))) {
    throw new CoreError('invalid-argument', opts.openPath
      ? `${value}: no such file or folder (an image tarball, an OCI layout folder or a registry reference was expected)`
      : `${value} is a path, and paths are read only where there is a file system (give a File, a Blob or a folder handle)`);
  }
  if (opts.image) throw new CoreError('invalid-argument', `choosing an image by NAME:TAG is for archives; ${value} is a registry reference (name the tag there)`);
  let ref: ImageReference;
  try {
    ref = parseReference(value);
  } catch (e) {
    throw new CoreError('invalid-argument', `"${value}" is neither ${opts.openPath ? 'an image tarball or OCI layout folder on disk' : 'an image'} nor a registry reference (${(e as Error).message})`, { cause: e });
  }
  return openRegistryImage(ref, opts);
}

import { ArchiveError, CoreError } from '../errors';
import { entryBlob, resolveRootedPath } from '../tar';
import type { FolderItem, FolderSource as WalkableFolder } from '../image/folder';
import { whereJsonFailed } from '../image/json';
import type { TarEntry } from '../tar/types';
import type { LayoutFolder } from './types';

/** Largest member readJson/readBytes will load (JSON metadata is a few KB; layers are never read this way). */
export const MAX_METADATA_BYTES = 16 << 20;

/** Link chains longer than this are treated as loops. */
const MAX_LINK_HOPS = 16;

/**
 * Normalises a member path: drops `./`, empty and `.` segments and resolves `..`.
 * Returns null for absolute paths and paths that climb out of the archive root.
 */
export function cleanMemberPath(p: string): string | null {
  return p.startsWith('/') ? null : resolveRootedPath('', p);
}

/** Uniform access to the members of an archive tar or the files of a folder, by normalised name. */
export interface Members {
  /** whether a file (or a link to one) exists at the path */
  has(path: string): Promise<boolean>;
  /** whether the path is a directory */
  isDirectory(path: string): Promise<boolean>;
  /** the member's bytes as a Blob (no copy for tars); links are followed; `what` names it in errors */
  blob(path: string, what?: string): Promise<Blob>;
  /** problems found while indexing (ignored unsafe names...) */
  readonly warnings: string[];
  /** largest member readBytes loads; default MAX_METADATA_BYTES */
  maxBytes?: number;
}

function missing(path: string, what?: string): ArchiveError {
  return new ArchiveError('archive-missing-member',
    `${what ? `${what}: ` : ''}member "${path}" is missing from the archive; the archive is incomplete or was not written by docker save / an OCI tool`);
}

function unsafe(path: string, what?: string): CoreError {
  return new CoreError('unsafe-path',
    `${what ? `${what}: ` : ''}"${path}" points outside the archive; refusing to follow it`);
}

/** Members of a tar indexed in memory (headers only; bodies stay in the Blob). */
export class TarMembers implements Members {
  private readonly byName = new Map<string, TarEntry>();
  private readonly dirs = new Set<string>();
  readonly warnings: string[] = [];

  constructor(private readonly tar: Blob, entries: TarEntry[]) {
    for (const e of entries) {
      const clean = cleanMemberPath(e.name);
      if (clean === null) {
        this.warnings.push(`ignored member "${e.name}": its name points outside the archive`);
        continue;
      }
      if (clean === '') continue;
      // Later entries replace earlier ones, as extraction would.
      if (e.type === 'directory') this.dirs.add(clean);
      else this.byName.set(clean, e);
      for (let i = clean.indexOf('/'); i > 0; i = clean.indexOf('/', i + 1)) this.dirs.add(clean.slice(0, i));
    }
  }

  /** Follows symlinks (relative to the link's directory) and hardlinks (archive paths) to a regular file. */
  private resolve(path: string, what?: string): TarEntry | undefined {
    const first = cleanMemberPath(path);
    if (first === null) throw unsafe(path, what);
    let name: string = first;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const e = this.byName.get(name);
      if (!e) return undefined;
      if (e.type === 'file' || e.type === 'contiguous') return e;
      if (e.type !== 'symlink' && e.type !== 'hardlink') {
        throw new ArchiveError('archive-invalid', `${what ? `${what}: ` : ''}member "${name}" is a ${e.type}, not a file`);
      }
      const base: string = e.type === 'symlink' ? name.split('/').slice(0, -1).join('/') : '';
      const next: string | null = e.linkname.startsWith('/') ? null : cleanMemberPath(base ? `${base}/${e.linkname}` : e.linkname);
      if (next === null) throw unsafe(`${name} -> ${e.linkname}`, what);
      name = next;
    }
    throw new ArchiveError('archive-invalid', `${what ? `${what}: ` : ''}member "${path}" is a link loop (more than ${MAX_LINK_HOPS} hops)`);
  }

  async has(path: string): Promise<boolean> {
    try { return this.resolve(path) !== undefined; } catch { return false; }
  }

  async isDirectory(path: string): Promise<boolean> {
    const clean = cleanMemberPath(path);
    return clean !== null && this.dirs.has(clean) && !this.byName.has(clean);
  }

  async blob(path: string, what?: string): Promise<Blob> {
    const e = this.resolve(path, what);
    if (!e) throw missing(path, what);
    return entryBlob(this.tar, e);
  }
}

/** Files of a folder (an OCI layout directory). */
export class FolderMembers implements Members {
  readonly warnings: string[] = [];
  constructor(private readonly folder: LayoutFolder) {}

  private clean(path: string, what?: string): string {
    const c = cleanMemberPath(path);
    if (c === null) throw unsafe(path, what);
    return c;
  }

  async has(path: string): Promise<boolean> {
    const c = cleanMemberPath(path);
    return c !== null && (await this.folder.exists(c)) && !(await this.isDirectory(c));
  }

  async isDirectory(path: string): Promise<boolean> {
    const c = cleanMemberPath(path);
    if (c === null || !(await this.folder.exists(c))) return false;
    if (this.folder.isDirectory) return this.folder.isDirectory(c);
    try { await this.folder.readFile(c); return false; } catch { return true; }
  }

  async blob(path: string, what?: string): Promise<Blob> {
    const c = this.clean(path, what);
    if (!(await this.folder.exists(c))) throw missing(c, what);
    if (await this.isDirectory(c)) {
      throw new ArchiveError('archive-invalid', `${what ? `${what}: ` : ''}"${c}" is a directory, not a file`);
    }
    return this.folder.readFile(c);
  }
}

/** Reads a small member completely; refuses members over MAX_METADATA_BYTES. */
export async function readBytes(m: Members, path: string, what?: string): Promise<Uint8Array> {
  const b = await m.blob(path, what);
  const max = Math.min(m.maxBytes ?? MAX_METADATA_BYTES, MAX_METADATA_BYTES);
  if (b.size > max) {
    throw new ArchiveError('archive-invalid', `${what ?? path}: "${path}" is ${b.size} bytes, too large for metadata (limit ${max})`);
  }
  return new Uint8Array(await b.arrayBuffer());
}

/**
 * Parses JSON bytes; a syntax error names the member and where parsing stopped, never the bytes (the
 * runtime's message quotes the start of the text, which may be any file the member stands for).
 */
export function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } catch (e) {
    throw new ArchiveError('archive-invalid', `"${path}" is not valid JSON (${whereJsonFailed(e)})`);
  }
}

/** Reads and parses a JSON member. */
export async function readJson(m: Members, path: string, what?: string): Promise<{ value: unknown; bytes: Uint8Array }> {
  if (await m.isDirectory(path)) {
    throw new ArchiveError('archive-invalid', `"${path}" is a directory, not a JSON file; the layout is broken`);
  }
  const bytes = await readBytes(m, path, what);
  return { value: parseJson(bytes, path), bytes };
}

/**
 * Files of a folder given as the image module's walkable folder (a Node path, a browser
 * directory handle, a dropped File list). It is walked once (a layout holds few files); symlinks
 * are followed inside the folder only.
 */
export class WalkedFolderMembers implements Members {
  readonly warnings: string[] = [];
  private constructor(private readonly items: Map<string, FolderItem>) {}

  /** Walks the folder and indexes its items by normalised path. */
  static async from(folder: WalkableFolder): Promise<WalkedFolderMembers> {
    const items = new Map<string, FolderItem>();
    for await (const it of folder.walk()) {
      const c = cleanMemberPath(it.path);
      if (c) items.set(c, it);
    }
    return new WalkedFolderMembers(items);
  }

  private resolve(path: string, what?: string): FolderItem | undefined {
    const first = cleanMemberPath(path);
    if (first === null) throw unsafe(path, what);
    let name: string = first;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const it = this.items.get(name);
      if (!it || it.kind !== 'symlink') return it;
      const base = name.split('/').slice(0, -1).join('/');
      const target = it.linkname ?? '';
      const next = target.startsWith('/') ? null : cleanMemberPath(base ? `${base}/${target}` : target);
      if (next === null) throw unsafe(`${name} -> ${target}`, what);
      name = next;
    }
    throw new ArchiveError('archive-invalid', `${what ? `${what}: ` : ''}"${path}" is a link loop (more than ${MAX_LINK_HOPS} hops)`);
  }

  async has(path: string): Promise<boolean> {
    try { return this.resolve(path)?.kind === 'file'; } catch { return false; }
  }

  async isDirectory(path: string): Promise<boolean> {
    try { return this.resolve(path)?.kind === 'directory'; } catch { return false; }
  }

  async blob(path: string, what?: string): Promise<Blob> {
    const it = this.resolve(path, what);
    if (!it) throw missing(path, what);
    if (it.kind !== 'file' || !it.open) throw new ArchiveError('archive-invalid', `${what ? `${what}: ` : ''}"${path}" is a ${it.kind}, not a file`);
    return it.open();
  }
}

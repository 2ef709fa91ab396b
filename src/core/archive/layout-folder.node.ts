import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { LayoutFolder } from './types';
import { openRegularFileBlob } from '../cache/file-blob.node.js';
import { CoreError } from '../errors';

/**
 * An OCI layout folder on disk for readImageArchive. Only regular files inside the folder are read:
 * a path is resolved with its symlinks, and one that lands outside the folder (a link to a tar elsewhere
 * on disk) is refused with CoreError 'unsafe-path'; a FIFO, socket or device in place of a file is
 * refused before it is opened (a FIFO would block the read forever). A file swapped for a link between
 * the check and the read is not guarded against: the folder is the user's own.
 */
export function layoutFolderFromPath(dir: string): LayoutFolder {
  const root = resolve(dir);
  let realRoot: Promise<string> | undefined;
  const inside = (base: string, full: string): boolean => {
    const rel = relative(base, full);
    return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  /** the real path of `p` inside the folder; undefined when nothing is there (a dangling link included) */
  const real = async (p: string): Promise<string | undefined> => {
    const full = resolve(root, p);
    if (!inside(root, full)) throw new CoreError('unsafe-path', `"${p}" is outside the layout folder: refusing to read it`);
    let r: string;
    try {
      r = await realpath(full);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const base = await (realRoot ??= realpath(root));
    if (!inside(base, r)) throw new CoreError('unsafe-path', `"${p}" in the layout folder is a link to a place outside it: refusing to follow it`);
    return r;
  };
  return {
    async readFile(p) {
      const r = await real(p);
      if (r === undefined) throw new CoreError('archive-missing-member', `"${p}" is missing from the layout folder`);
      return openRegularFileBlob(r, `"${p}" in the layout folder`);
    },
    exists: async (p) => (await real(p)) !== undefined,
    isDirectory: async (p) => {
      const r = await real(p);
      return r !== undefined && (await stat(r)).isDirectory();
    },
  };
}

import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { openRegularFileBlob } from '../cache/file-blob.node.js';
import { CoreError } from '../errors';
import type { FolderItem, FolderSource } from './folder';

/**
 * A folder on a Node file system. Symlinks are kept as symlinks (lstat; never followed),
 * a file is executable when any x bit is set, empty directories are kept; sockets, FIFOs and
 * devices are skipped. File bodies are read through `fs.openAsBlob` when the tar is written, once
 * checked to be still a regular file (not since replaced by a link or a FIFO).
 * For the same layer as a browser gives for the same folder, use layerFromFolder's `portable`.
 */
export function folderFromPath(dir: string): FolderSource {
  return {
    async *walk(): AsyncIterable<FolderItem> {
      const root = await lstat(dir).catch((e: unknown) => {
        throw new CoreError('invalid-argument', `cannot read folder ${dir}: ${(e as Error).message}`, { cause: e });
      });
      if (!root.isDirectory()) throw new CoreError('invalid-argument', `${dir} is not a folder`);
      const stack: string[] = [''];
      while (stack.length) {
        const rel = stack.pop()!;
        const names = (await readdir(join(dir, rel))).sort();
        for (const name of names) {
          const p = rel ? `${rel}/${name}` : name;
          const abs = join(dir, p);
          const st = await lstat(abs);
          if (st.isDirectory()) {
            yield { path: p, kind: 'directory' };
            stack.push(p);
          } else if (st.isSymbolicLink()) {
            yield { path: p, kind: 'symlink', linkname: await readlink(abs) };
          } else if (st.isFile()) {
            yield { path: p, kind: 'file', size: st.size, executable: (st.mode & 0o111) !== 0, open: () => openRegularFileBlob(abs, p, false) };
          }
        }
      }
    },
  };
}

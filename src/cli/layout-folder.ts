import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { LayoutFolder } from '../core/archive';

/** An OCI layout folder on disk for readImageArchive; paths that would leave the folder are refused. */
export function layoutFolderFromPath(dir: string): LayoutFolder {
  const root = resolve(dir);
  const inside = (p: string): string => {
    const full = resolve(root, p);
    if (full !== root && !full.startsWith(root + sep)) throw new Error(`${p} is outside the layout folder`);
    return full;
  };
  return {
    async readFile(p) {
      const full = inside(p);
      if ((await stat(full)).isDirectory()) throw new Error(`${p} is a directory, not a file`);
      return openAsBlob(full);
    },
    exists: async (p) => stat(inside(p)).then(() => true, () => false),
    isDirectory: async (p) => stat(inside(p)).then((s) => s.isDirectory(), () => false),
  };
}

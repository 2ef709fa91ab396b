/**
 * condaFileFilter: what an environment folder can lose without breaking what it runs, for addLayerFolder's
 * `filter` (paths relative to the folder, e.g. a conda prefix). conda-docker's conda_file_filter trimmed static
 * libraries and JavaScript source maps; this one also drops byte-code caches (python rewrites them on first
 * import) and package caches, and on request documentation and test suites.
 */
import type { FolderItem } from '../image';

/** What condaFileFilter drops; each flag true drops that kind of file. */
export interface CondaFileFilterOptions {
  /** static libraries (`*.a`): only a linker reads them (default true) */
  staticLibs?: boolean;
  /** JavaScript source maps (`*.js.map`) (default true) */
  jsMaps?: boolean;
  /** python byte code (`*.pyc`, `__pycache__/`): rewritten on first import (default true) */
  pyc?: boolean;
  /** conda's package cache (`pkgs/` at the folder's root): archives and extracted copies of installed packages (default true) */
  packageCache?: boolean;
  /** documentation (`share/doc`, `share/man`, `share/info`, `share/gtk-doc`) (default false: some tools print their manual) */
  docs?: boolean;
  /** test suites (`tests/`, `test/` inside site-packages) (default false: a few packages import their tests module) */
  tests?: boolean;
}

const DOC_DIRS = ['share/doc/', 'share/man/', 'share/info/', 'share/gtk-doc/'];

/**
 * A filter for addLayerFolder / layerFromFolder: true keeps the item. Directories that are dropped take
 * everything under them along (each path is judged by all its components).
 */
export function condaFileFilter(options: CondaFileFilterOptions = {}): (path: string, kind: FolderItem['kind']) => boolean {
  const o = { staticLibs: true, jsMaps: true, pyc: true, packageCache: true, docs: false, tests: false, ...options };
  return (path, kind) => {
    const p = path.replace(/^\.?\/+/, '');
    const parts = p.split('/');
    const file = kind !== 'directory';
    if (o.staticLibs && file && p.endsWith('.a')) return false;
    if (o.jsMaps && file && p.endsWith('.js.map')) return false;
    if (o.pyc && ((file && /\.py[co]$/.test(p)) || parts.includes('__pycache__'))) return false;
    if (o.packageCache && parts[0] === 'pkgs') return false;
    if (o.docs && DOC_DIRS.some((d) => `${p}/`.startsWith(d))) return false;
    if (o.tests) {
      const site = parts.indexOf('site-packages');
      if (site >= 0 && parts.slice(site + 1).some((c) => c === 'tests' || c === 'test')) return false;
    }
    return true;
  };
}

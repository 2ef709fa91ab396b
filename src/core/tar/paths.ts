/**
 * Entry path helpers: normalisation with danger classification, and the deterministic entry order used
 * for reproducible layers.
 */

/** A name with a leading '/', an empty segment ('//'), or a '.' or '..' segment. */
const NEEDS_SPLIT = /^\/|\/\/|(?:^|\/)\.{1,2}(?:\/|$)/;

/**
 * Normalises an entry path: drops leading '/' and './', empty and '.' components and a trailing '/'
 * ('./a//b/' -> 'a/b'). `unsafe` says why the original must not be extracted as is: 'absolute' (leading
 * '/' before a name), 'parent-traversal' (a '..' component, kept in `path`), 'empty' (nothing left: the root,
 * e.g. '.', './' or '/').
 */
export function normalizeEntryPath(name: string): { path: string; unsafe?: 'absolute' | 'parent-traversal' | 'empty' } {
  // most names need nothing but a trailing '/' dropped: no leading '/', no '', '.' or '..' segment
  if (!NEEDS_SPLIT.test(name)) {
    const path = name.endsWith('/') ? name.slice(0, -1) : name;
    return path === '' ? { path, unsafe: 'empty' } : { path };
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  const path = parts.join('/');
  if (parts.includes('..')) return { path, unsafe: 'parent-traversal' };
  // '/' alone is the root itself, as './' is (kaniko starts every layer with it): not an absolute path
  if (path === '') return { path, unsafe: 'empty' };
  if (name.startsWith('/')) return { path, unsafe: 'absolute' };
  return { path };
}

/** `normalizeEntryPath(name).unsafe`, without building the path when the name needs no splitting (most names). */
export function entryPathUnsafe(name: string): 'absolute' | 'parent-traversal' | 'empty' | undefined {
  if (!NEEDS_SPLIT.test(name)) return name === '' ? 'empty' : undefined;
  return normalizeEntryPath(name).unsafe;
}

/**
 * Resolves `rel` against the directory `dir` lexically ('' is the root): drops '' and '.' segments and
 * applies '..'. Returns null when the result would climb above the root. A leading '/' in `rel`
 * restarts from the root (as an absolute symlink inside an image root does).
 */
export function resolveRootedPath(dir: string, rel: string): string | null {
  const out = rel.startsWith('/') ? [] : dir.split('/').filter((p) => p !== '' && p !== '.');
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

const encoder = new TextEncoder();

/** Bytewise (UTF-8) comparison of two names: GNU tar --sort=name and Go order. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 code units order like UTF-8 bytes below the surrogates (U+D800): decide there without encoding
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return compareBytes(encoder.encode(a), encoder.encode(b));
  }
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function comparePaths(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareNames(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length; // a directory sorts before its contents
}

function sameEntry(a: object, b: object): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Returns a new array sorted by normalised path, comparing path components bytewise (UTF-8), so that a
 * directory comes right before its contents ('a', 'a/b', 'a-c' — the order of GNU tar `--sort=name`).
 * The sort is stable: entries with the same path keep their order (the last one wins on extraction).
 * Exact duplicates (same path and every property identical by `Object.is`) are dropped.
 */
export function sortTarEntries<T extends { name: string }>(entries: T[]): T[] {
  // components compared as strings by compareNames (UTF-8 byte order, without encoding ASCII names)
  const keyed = entries.map((e, i) => ({ e, i, key: normalizeEntryPath(e.name).path.split('/').filter(Boolean) }));
  keyed.sort((x, y) => comparePaths(x.key, y.key) || x.i - y.i);
  const out: T[] = [];
  let runStart = 0; // first index in `out` of entries with the current path
  for (let i = 0; i < keyed.length; i++) {
    const { e, key } = keyed[i];
    if (i > 0 && comparePaths(keyed[i - 1].key, key) !== 0) runStart = out.length;
    let dup = false;
    for (let j = runStart; j < out.length && !dup; j++) dup = sameEntry(out[j], e);
    if (!dup) out.push(e);
  }
  return out;
}

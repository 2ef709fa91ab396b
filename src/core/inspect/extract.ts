/**
 * Reading the bodies of a few named entries of a layer (a file to download, conda-meta records):
 * slices of the archive for uncompressed layers (no copy), one streaming pass otherwise.
 */
import { uncompressedBlobOf } from '../image/capabilities';
import type { Layer } from '../image/types';
import { CoreError } from '../errors';
import { entryBlob, indexTar, normalizeEntryPath, readTar } from '../tar';
import type { TarEntry } from '../tar/types';
import { toLayerFile } from './listing';

/** Options of readLayerFiles. */
export interface ReadLayerFilesOptions {
  signal?: AbortSignal;
  /** largest body taken from a compressed layer, in bytes (default 1 GiB); larger ones → 'invalid-argument' */
  maxBytes?: number;
}

const hasBody = (e: TarEntry): boolean => e.type === 'file' || e.type === 'contiguous';

/**
 * The bodies of the regular files at `paths` (normalised layer paths) in one layer, as Blobs.
 * A hardlink among them yields its target's body. Paths absent from the layer, or naming
 * something without a body (directory, symlink), are left out of the result. Dangerous entries
 * (absolute paths, `..`) are never matched. The last entry of a path wins, as on extraction.
 */
export async function readLayerFiles(layer: Layer, paths: Iterable<string>, opts: ReadLayerFilesOptions = {}): Promise<Map<string, Blob>> {
  const wanted = new Set(paths);
  const out = new Map<string, Blob>();
  const linkTo = new Map<string, string>(); // wanted hardlink path → target path
  const blob = uncompressedBlobOf(layer);
  if (blob) {
    const { entries } = await indexTar(blob, { signal: opts.signal });
    const byPath = new Map<string, TarEntry>();
    for (const e of entries) {
      const f = toLayerFile(e);
      if (!f.danger) byPath.set(f.path, e);
    }
    for (const p of wanted) {
      let e = byPath.get(p);
      if (e?.type === 'hardlink') e = byPath.get(normalizeEntryPath(e.linkname).path);
      if (e && hasBody(e)) out.set(p, entryBlob(blob, e));
    }
    return out;
  }
  const max = opts.maxBytes ?? 2 ** 30;
  const bodies = new Map<string, Blob>(); // every body seen at a wanted path or a hardlink target
  for await (const { entry, body } of readTar(layer.uncompressed(), { signal: opts.signal })) {
    const f = toLayerFile(entry);
    if (f.danger) continue;
    const needed = wanted.has(f.path) || [...linkTo.values()].includes(f.path);
    if (!needed) continue;
    if (entry.type === 'hardlink') {
      const target = normalizeEntryPath(entry.linkname).path;
      const known = bodies.get(target);
      if (known) bodies.set(f.path, known);
      else linkTo.set(f.path, target);
      continue;
    }
    bodies.delete(f.path);
    if (!hasBody(entry)) continue;
    if (entry.size > max) {
      throw new CoreError('invalid-argument', `${f.path} is ${entry.size} bytes, more than the ${max} bytes read from a compressed layer at once`);
    }
    bodies.set(f.path, await new Response(body).blob());
  }
  for (const p of wanted) {
    const b = bodies.get(p) ?? (linkTo.has(p) ? bodies.get(linkTo.get(p)!) : undefined);
    if (b) out.set(p, b);
  }
  return out;
}

/** One conda package found in a layer's `<prefix>/conda-meta/<name>-<version>-<build>.json`. */
export interface CondaRecord {
  /** the record's path in the layer */
  path: string;
  /** the environment prefix (the folder holding conda-meta), '' for the root */
  prefix: string;
  name: string;
  version: string;
  build: string;
  channel?: string;
}

/** True for a conda-meta package record path (`<prefix>/conda-meta/<x>.json`, not `history`). */
export function isCondaMetaPath(path: string): boolean {
  return /(^|\/)conda-meta\/[^/]+\.json$/.test(path);
}

/** Reads and parses conda-meta records of a layer (small JSON files); unparsable ones are reported by path. */
export async function readCondaRecords(layer: Layer, paths: string[], opts: ReadLayerFilesOptions = {}): Promise<{ records: CondaRecord[]; broken: string[] }> {
  const blobs = await readLayerFiles(layer, paths, { ...opts, maxBytes: opts.maxBytes ?? 16 * 2 ** 20 });
  const records: CondaRecord[] = [];
  const broken: string[] = [];
  for (const path of paths) {
    const b = blobs.get(path);
    const prefix = path.slice(0, Math.max(0, path.lastIndexOf('conda-meta/') - 1));
    try {
      const v = JSON.parse(await b!.text()) as Record<string, unknown>;
      if (typeof v.name !== 'string' || typeof v.version !== 'string') throw new Error('no name/version');
      const r: CondaRecord = { path, prefix, name: v.name, version: v.version, build: typeof v.build === 'string' ? v.build : '' };
      if (typeof v.channel === 'string') r.channel = v.channel;
      records.push(r);
    } catch {
      broken.push(path);
    }
  }
  records.sort((a, b) => (a.prefix + '\0' + a.name < b.prefix + '\0' + b.name ? -1 : 1));
  return { records, broken };
}

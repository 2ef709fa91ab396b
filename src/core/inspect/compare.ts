/**
 * Two images compared as a user of docker and conda asks: which layers they share (by diff_id, so a rebuilt
 * environment shows what it reused), how their runtime configs differ (env, entrypoint, labels…), which conda
 * packages were added, removed or changed in each prefix, and optionally how their merged filesystems differ.
 */
import type { ArchiveImage } from '../archive';
import type { Digest } from '../digest';
import type { ConfigFile } from '../oci';
import { isCondaMetaPath, readCondaRecords, type CondaRecord } from './extract';
import type { MergedFile } from './merge';
import { summarizeImage, type ImageSummary } from './summary';

/** A layer in a comparison. */
export interface ComparedLayer {
  diffId: Digest;
  /** uncompressed bytes */
  size: number;
  createdBy?: string;
}

/** One runtime setting that differs (absent on a side: undefined). */
export interface ConfigDifference {
  /** `Env PATH`, `Label org.x`, `Entrypoint`, `Cmd`, `User`, `WorkingDir`, `ExposedPorts`, `Platform` */
  key: string;
  a?: string;
  b?: string;
}

/** A conda package as compared: its prefix, name, version and build. */
export type ComparedPackage = Pick<CondaRecord, 'prefix' | 'name' | 'version' | 'build' | 'channel'>;

/** A merged-filesystem entry that differs. */
export interface FileDifference {
  path: string;
  /** 'added' (only in B), 'removed' (only in A), 'changed' (type, size, mode, owner or link target differ) */
  change: 'added' | 'removed' | 'changed';
  a?: Pick<MergedFile, 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkname'>;
  b?: Pick<MergedFile, 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkname'>;
}

/** What compareImages finds. */
export interface ImageComparison {
  a: { tags: string[]; manifestDigest?: Digest; configDigest: Digest; layers: number };
  b: { tags: string[]; manifestDigest?: Digest; configDigest: Digest; layers: number };
  layers: { shared: ComparedLayer[]; onlyA: ComparedLayer[]; onlyB: ComparedLayer[]; sharedBytes: number };
  config: ConfigDifference[];
  conda: { added: ComparedPackage[]; removed: ComparedPackage[]; changed: Array<{ a: ComparedPackage; b: ComparedPackage }> };
  /** with `files` */
  files?: FileDifference[];
  warnings: string[];
}

/** Options of compareImages. */
export interface CompareOptions {
  /** compare the merged filesystems entry by entry too */
  files?: boolean;
  signal?: AbortSignal;
}

/** The runtime settings of a config as `key → value` strings. */
function settings(cfg: ConfigFile): Map<string, string> {
  const out = new Map<string, string>();
  const c = cfg.config ?? {};
  for (const kv of c.Env ?? []) {
    const i = kv.indexOf('=');
    out.set(`Env ${i < 0 ? kv : kv.slice(0, i)}`, i < 0 ? '' : kv.slice(i + 1));
  }
  for (const [k, v] of Object.entries(c.Labels ?? {})) out.set(`Label ${k}`, v);
  if (c.Entrypoint) out.set('Entrypoint', JSON.stringify(c.Entrypoint));
  if (c.Cmd) out.set('Cmd', JSON.stringify(c.Cmd));
  if (c.User) out.set('User', c.User);
  if (c.WorkingDir) out.set('WorkingDir', c.WorkingDir);
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.set('ExposedPorts', Object.keys(c.ExposedPorts).sort().join(' '));
  out.set('Platform', [cfg.os, cfg.architecture, cfg.variant].filter(Boolean).join('/'));
  return out;
}

/**
 * The conda packages of an image's merged filesystem (the records later layers did not remove), sorted by
 * prefix and name; records that cannot be read are listed by path.
 */
export async function condaPackagesOf(ai: Pick<ImageToCompare, 'image'>, merged: MergedFile[], signal?: AbortSignal): Promise<{ packages: ComparedPackage[]; broken: string[] }> {
  const byLayer = new Map<number, string[]>();
  for (const f of merged) {
    if (f.type !== 'file' || !isCondaMetaPath(f.path)) continue;
    byLayer.set(f.layer, [...(byLayer.get(f.layer) ?? []), f.path]);
  }
  const layers = await ai.image.layers();
  const packages: ComparedPackage[] = [];
  const broken: string[] = [];
  for (const [i, paths] of byLayer) {
    const r = await readCondaRecords(layers[i], paths, signal ? { signal } : {});
    for (const p of r.records) packages.push({ prefix: p.prefix, name: p.name, version: p.version, build: p.build, ...(p.channel ? { channel: p.channel } : {}) });
    broken.push(...r.broken);
  }
  return { packages: packages.sort(byPrefixName), broken };
}

const layerOf = (s: ImageSummary['layers'][number]): ComparedLayer => ({ diffId: s.diffId, size: s.uncompressedSize, ...(s.createdBy !== undefined ? { createdBy: s.createdBy } : {}) });
const pick = (f: MergedFile): NonNullable<FileDifference['a']> => ({ type: f.type, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid, ...(f.linkname ? { linkname: f.linkname } : {}) });
const byPrefixName = (a: { prefix: string; name: string }, b: { prefix: string; name: string }) =>
  (a.prefix === b.prefix ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.prefix < b.prefix ? -1 : 1);

/** An image to compare: from an archive, or pulled from a registry (its reference as the tag). */
export type ImageToCompare = Pick<ArchiveImage, 'image' | 'tags'> & Partial<Pick<ArchiveImage, 'platform' | 'manifestDigest'>>;

/** Compares image `a` with image `b` (each read once: layers listed, conda-meta records read). */
export async function compareImages(a: ImageToCompare, b: ImageToCompare, opts: CompareOptions = {}): Promise<ImageComparison> {
  // summarizeImage reads an archive image's image, tags, platform and manifest digest only
  const summarize = (x: ImageToCompare) => summarizeImage({ configPath: '', layerPaths: [], ...x }, { merged: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  const [sa, sb] = [await summarize(a), await summarize(b)];
  const warnings = [...sa.warnings.map((w) => `A: ${w}`), ...sb.warnings.map((w) => `B: ${w}`)];

  const inB = new Set(sb.layers.map((l) => l.diffId));
  const inA = new Set(sa.layers.map((l) => l.diffId));
  const shared = sa.layers.filter((l) => inB.has(l.diffId)).map(layerOf);
  const layers = {
    shared, sharedBytes: shared.reduce((n, l) => n + l.size, 0),
    onlyA: sa.layers.filter((l) => !inB.has(l.diffId)).map(layerOf),
    onlyB: sb.layers.filter((l) => !inA.has(l.diffId)).map(layerOf),
  };

  const [ca, cb] = [settings(sa.config), settings(sb.config)];
  const config: ConfigDifference[] = [];
  for (const key of [...new Set([...ca.keys(), ...cb.keys()])].sort()) {
    if (ca.get(key) === cb.get(key)) continue;
    config.push({ key, ...(ca.has(key) ? { a: ca.get(key) } : {}), ...(cb.has(key) ? { b: cb.get(key) } : {}) });
  }

  const [pa, pb] = [await condaPackagesOf(a, sa.merged!, opts.signal), await condaPackagesOf(b, sb.merged!, opts.signal)];
  for (const p of pa.broken) warnings.push(`A: ${p} is not a readable conda-meta record`);
  for (const p of pb.broken) warnings.push(`B: ${p} is not a readable conda-meta record`);
  const key = (p: ComparedPackage) => `${p.prefix}\0${p.name}`;
  const mapA = new Map(pa.packages.map((p) => [key(p), p]));
  const mapB = new Map(pb.packages.map((p) => [key(p), p]));
  const conda: ImageComparison['conda'] = {
    added: pb.packages.filter((p) => !mapA.has(key(p))).sort(byPrefixName),
    removed: pa.packages.filter((p) => !mapB.has(key(p))).sort(byPrefixName),
    changed: pa.packages.flatMap((p) => {
      const q = mapB.get(key(p));
      return q && (q.version !== p.version || q.build !== p.build) ? [{ a: p, b: q }] : [];
    }).sort((x, y) => byPrefixName(x.a, y.a)),
  };

  const out: ImageComparison = {
    a: { tags: sa.tags, ...(sa.manifestDigest ? { manifestDigest: sa.manifestDigest } : {}), configDigest: sa.configDigest, layers: sa.layers.length },
    b: { tags: sb.tags, ...(sb.manifestDigest ? { manifestDigest: sb.manifestDigest } : {}), configDigest: sb.configDigest, layers: sb.layers.length },
    layers, config, conda, warnings,
  };
  if (opts.files) {
    const fa = new Map(sa.merged!.filter((f) => !f.implicit).map((f) => [f.path, f]));
    const fb = new Map(sb.merged!.filter((f) => !f.implicit).map((f) => [f.path, f]));
    const files: FileDifference[] = [];
    for (const [path, f] of fa) {
      const g = fb.get(path);
      if (!g) files.push({ path, change: 'removed', a: pick(f) });
      else if (f.type !== g.type || f.size !== g.size || f.mode !== g.mode || f.uid !== g.uid || f.gid !== g.gid || (f.linkname ?? '') !== (g.linkname ?? '')) {
        files.push({ path, change: 'changed', a: pick(f), b: pick(g) });
      }
    }
    for (const [path, g] of fb) if (!fa.has(path)) files.push({ path, change: 'added', b: pick(g) });
    out.files = files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }
  return out;
}

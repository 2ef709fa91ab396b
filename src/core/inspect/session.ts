/**
 * An inspector session over one opened archive: the overview (no layer body read), a full index of
 * every layer (headers only where the archive stores layers uncompressed), pages of tree rows, file
 * reads and raw members. Pure core: the inspect worker exposes it, tests drive it in Node.
 */
import { readImageArchive, type ImageArchive, type LayoutFolder, type ReadArchiveOptions, type WalkableFolder } from '../archive';
import { sha256, type Digest } from '../digest';
import { CoreError } from '../errors';
import { uncompressedBlobOf } from '../image/capabilities';
import type { Layer } from '../image/types';
import { formatPlatform, type ConfigFile, type History } from '../oci';
import { inLanes } from '../stream';
import { readCondaRecords, readLayerFiles, type CondaRecord } from './extract';
import { indexLayer, type LayerIndex } from './listing';
import { PathTable, ROOT_NODE } from './path-table';
import { mergeIndexes, type MergedIndex } from './merge';
import { buildTree, pageTreeRows, type RowSource, type TreeView, type TreePage } from './tree';

/** A layer as known right after opening (nothing of its body read). Sizes in bytes. */
export interface LayerOverview {
  index: number;
  /** sha256 of the blob as stored in the archive (compressed when stored compressed) */
  digest: Digest;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids) */
  diffId: Digest;
  mediaType: string;
  compression: string;
  /** bytes of the blob as stored */
  size: number;
  /** bytes of the uncompressed tar, when known without decompressing */
  uncompressedSize?: number;
  createdBy?: string;
}

/** An image as known right after opening. */
export interface ImageOverview {
  tags: string[];
  /** os/arch[/variant] */
  platform: string;
  configDigest: Digest;
  manifestDigest?: Digest;
  config: ConfigFile;
  history: History[];
  layers: LayerOverview[];
}

/** A raw member of the archive tar (or folder). */
export interface MemberInfo {
  name: string;
  size: number;
  type: string;
  /** true for the metadata members worth showing as JSON (manifest.json, index.json, <id>/json...) */
  metadata: boolean;
}

/** What opening an archive tells, before any layer is indexed. */
export interface ArchiveOverview {
  name: string;
  dialect: ImageArchive['dialect'];
  outerCompression: ImageArchive['outerCompression'];
  images: ImageOverview[];
  members: MemberInfo[];
  warnings: string[];
}

/** Per-layer results of indexing. */
export interface LayerStats {
  entries: number;
  fileBytes: number;
  whiteouts: number;
  dangerous: number;
  /** bytes of this layer's files that later layers overwrite or remove */
  wastedBytes: number;
  /** conda-meta package records found in the layer */
  condaRecords: number;
}

/** A file of the merged filesystem, for the largest-files table. */
export interface LargestFile { path: string; size: number; layer: number }

/** Results of indexing one image. */
export interface ImageIndex {
  layers: LayerStats[];
  totalBytes: number;
  wastedBytes: number;
  efficiency: number;
  mergedEntries: number;
  /** dangerous entries left out of the merged view */
  skipped: number;
  largest: LargestFile[];
  warnings: string[];
  /** where the time went, in ms: listing the layers (headers), merging them, and in all */
  timings: { listMs: number; mergeMs: number; totalMs: number };
}

/** Which list of entries: one layer (bottom = 0) or the merged filesystem. */
export type TreeSource = number | 'merged';

/** Layers listed at the same time. */
const LIST_LANES = 3;

const META = /^(?:\.\/)?(manifest\.json|repositories|index\.json|oci-layout|VERSION|[0-9a-f]{64}\/json|[0-9a-f]{64}\.json)$/;

/** Files listed in the largest-files table. */
const LARGEST = 50;

/**
 * The `n` largest regular files of a merge, largest first, ties in merged order (what a stable sort of
 * every file by size gives), kept in one pass: a file goes in only when it beats the smallest kept.
 */
export function largestFiles(merged: MergedIndex, n: number): number[] {
  const kept: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < merged.count; i++) {
    const size = merged.size(i);
    if (kept.length === n && size <= sizes[n - 1]) continue;
    const t = merged.type(i);
    if (t !== 'file' && t !== 'contiguous') continue;
    let at = kept.length;
    while (at > 0 && sizes[at - 1] < size) at--;
    if (at === n) continue;
    kept.splice(at, 0, i);
    sizes.splice(at, 0, size);
    if (kept.length > n) { kept.pop(); sizes.pop(); }
  }
  return kept;
}

/**
 * `isCondaMetaPath` of a table node's path, read from its last two components: a last component of more
 * than five characters ending in '.json' under one named 'conda-meta'. No path string is built.
 */
export function isCondaMetaNode(table: PathTable, node: number): boolean {
  const parent = table.parent(node);
  if (parent <= ROOT_NODE) return false;
  const name = table.string(table.name(node));
  return name.length > 5 && name.endsWith('.json') && table.string(table.name(parent)) === 'conda-meta';
}

/** What the layer table shows of one indexed layer. */
function layerStats(li: LayerIndex, wastedBytes: number): LayerStats {
  let whiteouts = 0, dangerous = 0, condaRecords = 0;
  for (let i = 0; i < li.count; i++) {
    const wh = li.whiteout(i), danger = li.danger(i);
    if (wh) whiteouts++;
    if (danger) dangerous++;
    if (!wh && !danger && isCondaMetaNode(li.table, li.nodes[i])) condaRecords++;
  }
  return { entries: li.count, fileBytes: li.fileBytes, whiteouts, dangerous, wastedBytes, condaRecords };
}

const layerSource = (li: LayerIndex): RowSource => ({
  count: li.count, path: (i) => li.path(i), linkname: (i) => li.linkname(i), danger: (i) => li.danger(i), file: (i) => li.file(i),
});
const mergedSource = (m: MergedIndex): RowSource => ({
  count: m.count, path: (i) => m.path(i), linkname: (i) => m.linkname(i), danger: (i) => m.danger(i), file: (i) => m.file(i),
});

/** One opened archive and what has been learned about it. */
export class InspectSession {
  private listings = new Map<string, Promise<LayerIndex>>();
  private merged = new Map<number, MergedIndex>();
  private trees = new Map<string, TreeView>();
  /** the paths and link targets of every layer indexed in this session */
  private readonly table = new PathTable();

  private constructor(readonly archive: ImageArchive, readonly overview: ArchiveOverview, private readonly layers: Layer[][]) {}

  /** Opens an archive (Blob or OCI layout folder): reads headers and JSON members only. */
  static async open(input: Blob | LayoutFolder | WalkableFolder, name: string, opts: ReadArchiveOptions = {}): Promise<InspectSession> {
    const archive = await readImageArchive(input, opts);
    const layers: Layer[][] = [];
    const images: ImageOverview[] = [];
    for (const ai of archive.images) {
      const [config, rawConfig, ls] = await Promise.all([ai.image.config(), ai.image.rawConfig(), ai.image.layers()]);
      const history = config.history ?? [];
      const nonEmpty = history.filter((h) => !h.empty_layer);
      const overviews: LayerOverview[] = [];
      for (const [index, l] of ls.entries()) {
        const o: LayerOverview = { index, digest: await l.digest(), diffId: await l.diffId(), mediaType: l.mediaType, compression: l.compression, size: await l.size() };
        const blob = uncompressedBlobOf(l);
        if (blob) o.uncompressedSize = blob.size;
        if (nonEmpty.length === ls.length && nonEmpty[index].created_by !== undefined) o.createdBy = nonEmpty[index].created_by;
        overviews.push(o);
      }
      const img: ImageOverview = {
        tags: ai.tags, platform: formatPlatform(ai.platform ?? config), configDigest: await sha256(rawConfig), config, history, layers: overviews,
      };
      if (ai.manifestDigest) img.manifestDigest = ai.manifestDigest;
      images.push(img);
      layers.push(ls);
    }
    const members: MemberInfo[] = archive.members.map((m) => ({ name: m.name, size: m.size, type: m.type, metadata: m.type !== 'directory' && META.test(m.name) }));
    const overview: ArchiveOverview = { name, dialect: archive.dialect, outerCompression: archive.outerCompression, images, members, warnings: archive.warnings };
    return new InspectSession(archive, overview, layers);
  }

  private image(i: number): Layer[] {
    const ls = this.layers[i];
    if (!ls) throw new CoreError('invalid-argument', `no image ${i} in this archive (it has ${this.layers.length})`);
    return ls;
  }

  private listing(img: number, layer: number, signal?: AbortSignal): Promise<LayerIndex> {
    const l = this.image(img)[layer];
    if (!l) throw new CoreError('invalid-argument', `image ${img} has no layer ${layer}`);
    const key = this.overview.images[img].layers[layer].digest;
    let p = this.listings.get(key);
    if (!p) {
      p = indexLayer(l, { signal, table: this.table });
      p.catch(() => this.listings.delete(key));
      this.listings.set(key, p);
    }
    return p;
  }

  /** Lists every layer of image `img` (each distinct layer once per session) and merges them. */
  async indexImage(img: number, opts: { signal?: AbortSignal; onLayer?: (layer: number) => void } = {}): Promise<ImageIndex> {
    const ls = this.image(img);
    const t0 = performance.now();
    // a few layers at once: Blob reads overlap (one read costs ~0.6 ms of latency in Chromium)
    const listings: LayerIndex[] = await inLanes(ls, LIST_LANES, async (_, i) => {
      const l = await this.listing(img, i, opts.signal);
      opts.onLayer?.(i);
      return l;
    });
    const t1 = performance.now();
    const merged = mergeIndexes(listings);
    const t2 = performance.now();
    this.merged.set(img, merged);
    const warnings = listings.flatMap((li, i) => li.warnings.map((w) => `layer ${i}: ${w.message}`));
    const largest = largestFiles(merged, LARGEST).map((i) => ({ path: merged.path(i), size: merged.size(i), layer: merged.layerOf[i] }));
    return {
      layers: listings.map((li, i) => layerStats(li, merged.wastedBytesByLayer[i])),
      totalBytes: merged.totalBytes, wastedBytes: merged.wastedBytes, efficiency: merged.efficiency,
      mergedEntries: merged.count, skipped: merged.skipped.length, largest, warnings,
      timings: { listMs: Math.round(t1 - t0), mergeMs: Math.round(t2 - t1), totalMs: Math.round(performance.now() - t0) },
    };
  }

  private async tree(img: number, source: TreeSource): Promise<TreeView> {
    const key = `${img}:${source}`;
    let t = this.trees.get(key);
    if (!t) {
      if (source === 'merged') {
        if (!this.merged.has(img)) await this.indexImage(img);
        t = buildTree(mergedSource(this.merged.get(img)!), true);
      } else {
        t = buildTree(layerSource(await this.listing(img, source)), false);
      }
      this.trees.set(key, t);
    }
    return t;
  }

  /** A page of visible tree rows: directories in `collapsed` hide their descendants; `filter` keeps paths containing it. */
  async treeRows(img: number, source: TreeSource, q: { offset: number; count: number; collapsed?: string[]; filter?: string }): Promise<TreePage> {
    return pageTreeRows(await this.tree(img, source), q);
  }

  /** Conda packages recorded in one layer's `conda-meta/*.json`. */
  async condaPackages(img: number, layer: number): Promise<{ records: CondaRecord[]; broken: string[] }> {
    const li = await this.listing(img, layer);
    const paths: string[] = [];
    for (let i = 0; i < li.count; i++) {
      if (li.whiteout(i) || li.danger(i) || !isCondaMetaNode(li.table, li.nodes[i])) continue;
      paths.push(li.path(i));
    }
    if (paths.length === 0) return { records: [], broken: [] };
    return readCondaRecords(this.image(img)[layer], paths);
  }

  /** The body of one file of a layer (a slice for uncompressed layers, decompressed otherwise). */
  async readFile(img: number, layer: number, path: string): Promise<Blob> {
    const got = (await readLayerFiles(this.image(img)[layer], [path])).get(path);
    if (!got) throw new CoreError('invalid-argument', `layer ${layer} has no regular file at ${path}`);
    return got;
  }

  /** A raw archive member as text (for the JSON view); at most `max` bytes. */
  async readMember(name: string, max = 4 * 2 ** 20): Promise<string> {
    const m = this.overview.members.find((x) => x.name === name);
    if (m && m.size > max) throw new CoreError('invalid-argument', `${name} is ${m.size} bytes; only members up to ${max} bytes are shown`);
    return new TextDecoder().decode(await this.archive.readMember(name));
  }
}

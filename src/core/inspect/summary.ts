import type { ArchiveImage, ImageArchive } from '../archive';
import type { Digest } from '../digest';
import { sha256 } from '../digest';
import type { ConfigFile, History, Platform } from '../oci';
import { listLayer, type LayerFile, type LayerListing } from './listing';
import { mergeLayers, type MergedFile } from './merge';

/** One layer as the inspector reports it. Sizes in bytes. */
export interface LayerSummary {
  index: number;
  /** sha256 of the blob as stored in the archive (compressed form when the archive stores it compressed) */
  digest: Digest;
  /** sha256 of the uncompressed tar */
  diffId: Digest;
  mediaType: string;
  /** bytes of the blob as stored */
  size: number;
  /** bytes of the uncompressed tar */
  uncompressedSize: number;
  /** entries in the layer, whiteout markers included */
  entries: number;
  /** sum of regular file sizes */
  fileBytes: number;
  whiteouts: number;
  /** bytes of this layer's files that later layers overwrite or remove */
  wastedBytes: number;
  /** the history entry that created it */
  createdBy?: string;
  dangerous: number;
  files?: LayerFile[];
}

/** One image of an archive as the inspector reports it. */
export interface ImageSummary {
  tags: string[];
  platform?: Platform;
  manifestDigest?: Digest;
  /** sha256 of the config bytes: the image ID docker shows */
  configDigest: Digest;
  config: ConfigFile;
  history: History[];
  layers: LayerSummary[];
  totalBytes: number;
  wastedBytes: number;
  efficiency: number;
  merged?: MergedFile[];
  warnings: string[];
}

/** The inspector's whole report on an archive. */
export interface ArchiveSummary {
  dialect: ImageArchive['dialect'];
  outerCompression: ImageArchive['outerCompression'];
  images: ImageSummary[];
  warnings: string[];
}

/** What to include beyond the summary: every layer's file list, one layer's, and/or the merged tree. */
export interface SummaryOptions {
  layerFiles?: 'all' | number;
  merged?: boolean;
  signal?: AbortSignal;
}

/** Pairs each layer with the non-empty history entry that made it (when counts agree). */
function historyForLayers(history: History[], layers: number): (History | undefined)[] {
  const nonEmpty = history.filter((h) => !h.empty_layer);
  if (nonEmpty.length !== layers) return Array.from({ length: layers }, () => undefined);
  return nonEmpty;
}

/** Summarises one image: streams each layer once (bodies skipped) and merges the listings. */
export async function summarizeImage(ai: ArchiveImage, opts: SummaryOptions = {}): Promise<ImageSummary> {
  const { image } = ai;
  const [config, rawConfig, layers] = await Promise.all([image.config(), image.rawConfig(), image.layers()]);
  const history = config.history ?? [];
  const warnings: string[] = [];
  const listings: LayerListing[] = [];
  for (const layer of layers) listings.push(await listLayer(layer, { signal: opts.signal, measure: true }));
  const merged = mergeLayers(listings);
  const hist = historyForLayers(history, layers.length);
  if (history.length && hist.every((h) => h === undefined) && layers.length) {
    warnings.push(`history has ${history.filter((h) => !h.empty_layer).length} non-empty entries for ${layers.length} layers`);
  }
  const summaries: LayerSummary[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const li = listings[i];
    for (const w of li.warnings) warnings.push(`layer ${i}: ${w.message}`);
    const s: LayerSummary = {
      index: i,
      digest: await l.digest(),
      diffId: await l.diffId(),
      mediaType: l.mediaType,
      size: await l.size(),
      uncompressedSize: li.uncompressedBytes ?? await l.uncompressedSize(),
      entries: li.files.length,
      fileBytes: li.fileBytes,
      whiteouts: li.files.filter((f) => f.whiteout).length,
      wastedBytes: merged.wastedBytesByLayer[i],
      dangerous: li.files.filter((f) => f.danger).length,
    };
    if (hist[i]?.created_by !== undefined) s.createdBy = hist[i]!.created_by;
    if (opts.layerFiles === 'all' || opts.layerFiles === i) s.files = li.files;
    summaries.push(s);
  }
  const out: ImageSummary = {
    tags: ai.tags,
    configDigest: await sha256(rawConfig),
    config,
    history,
    layers: summaries,
    totalBytes: merged.totalBytes,
    wastedBytes: merged.wastedBytes,
    efficiency: merged.efficiency,
    warnings,
  };
  if (ai.platform) out.platform = ai.platform;
  if (ai.manifestDigest) out.manifestDigest = ai.manifestDigest;
  if (opts.merged) out.merged = merged.files;
  return out;
}

/** Summarises every image of an archive. */
export async function summarizeArchive(archive: ImageArchive, opts: SummaryOptions = {}): Promise<ArchiveSummary> {
  const images: ImageSummary[] = [];
  for (const ai of archive.images) images.push(await summarizeImage(ai, opts));
  return { dialect: archive.dialect, outerCompression: archive.outerCompression, images, warnings: archive.warnings };
}

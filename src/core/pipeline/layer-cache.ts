/**
 * Built layers kept between builds. A layer is keyed by everything that decides its bytes (its packages'
 * sha256s and conda-meta origins in layer order, the prefix, python X.Y, the epoch and LAYER_FORMAT_VERSION),
 * its tar is stored in a BlobStore under its digest and a record (digest, size, the linked packages' summaries,
 * the digests of the tar's pieces where the layer's maker took them) under the key. A hit is checked again
 * before use, against its pieces' digests where the record has them, else its whole digest (by the layer's
 * reader, in the pass that writes it where the writer can write over it: see layersFromJobs): bytes changed
 * on disk are dropped and the layer is built again. The record is written only after its blob is stored whole, so a build cancelled or failed mid-way
 * leaves no entry pointing at missing or partial bytes.
 */
import { getVerified, isStorageFull, type BlobStore, type RecordStore } from '../cache';
import { arePieceDigests, digestHex, isDigest, sha256, type Digest, type PieceDigests } from '../digest';
import { tarStream, type LayerJob, type LayerJobResult, type LayerRunner, type InstalledSummary } from './layer-job';
import { LAYER_FORMAT_VERSION } from './layer-format';

/** A cached layer: the tar (uncompressed; digest = diff_id) and the packages it links. */
export interface CachedLayer {
  digest: Digest;
  /** bytes of the tar */
  size: number;
  tar: Blob;
  packages: InstalledSummary[];
  /** the digests of the tar's pieces, when the record has them (taken as the layer was made) */
  pieces?: PieceDigests;
}

/** Built layers by key (see layerCacheKey). */
export interface LayerCache {
  /**
   * the layer, verified against its digest; a damaged or missing one is forgotten and reported absent. With
   * `verify: false` the tar is not hashed here (its size is checked): its reader must hash it and `forget`
   * the entry when the bytes do not match.
   */
  get(key: string, opts?: { verify?: boolean }): Promise<CachedLayer | undefined>;
  /** drops the entry and its tar (bytes found damaged) */
  forget(key: string): Promise<void>;
  /** stores a built layer (its tar first, then the record pointing at it) */
  put(key: string, layer: LayerJobResult): Promise<void>;
}

/**
 * What a cached record holds beside the tar's blob. `pieces` (the digests of the tar's pieces, from the same
 * bytes as `digest`) is absent from records written before it was kept, and from layers made without it:
 * those tars are hashed whole when read again.
 */
interface LayerRecord { format: number; digest: Digest; size: number; packages: InstalledSummary[]; pieces?: PieceDigests }

const sortedKeys = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The key of a layer job (hex sha256 of its canonical description), or undefined when a package has no
 * sha256 to name its bytes by (such a job is never cached).
 */
export async function layerCacheKey(job: LayerJob): Promise<string | undefined> {
  if (job.packages.some((p) => !p.origin?.sha256)) return undefined;
  const description = {
    format: LAYER_FORMAT_VERSION, prefix: job.prefix, epoch: job.epoch, python: job.pythonVersion ?? null,
    // the origin (url, channel, md5, sha256, size, requested spec) is written into conda-meta, so it is part of the bytes
    packages: job.packages.map((p) => ({ fn: p.fn, origin: sortedKeys(p.origin!) })),
  };
  return digestHex(await sha256(JSON.stringify(description)));
}

function parseRecord(text: string): LayerRecord | undefined {
  try {
    const r = JSON.parse(text) as LayerRecord;
    if (r.format === LAYER_FORMAT_VERSION && isDigest(r.digest) && Number.isSafeInteger(r.size) && Array.isArray(r.packages)) {
      // piece digests that do not fit the tar's size are not used: the tar is then hashed whole
      if (r.pieces !== undefined && !arePieceDigests(r.pieces, r.size)) delete r.pieces;
      return r;
    }
  } catch { /* a damaged record is a miss */ }
  return undefined;
}

/** A LayerCache over a blob store (the tars) and a record store (key → digest, size, packages). */
export function layerCache(blobs: BlobStore, records: RecordStore): LayerCache {
  return {
    async get(key, opts = {}) {
      const text = await records.read(key);
      const record = text === undefined ? undefined : parseRecord(text);
      const tar = record && (opts.verify === false ? await blobs.get(record.digest) : await getVerified(blobs, record.digest));
      if (!record || !tar || tar.size !== record.size) {
        if (text !== undefined) await records.remove(key);
        return undefined;
      }
      return { digest: record.digest, size: record.size, tar, packages: record.packages, ...(record.pieces ? { pieces: record.pieces } : {}) };
    },
    async forget(key) {
      const text = await records.read(key);
      const record = text === undefined ? undefined : parseRecord(text);
      await records.remove(key);
      if (record) await blobs.delete(record.digest);
    },
    async put(key, layer) {
      await blobs.put(layer.digest, tarStream(layer.tar), layer.size);
      const record: LayerRecord = { format: LAYER_FORMAT_VERSION, digest: layer.digest, size: layer.size, packages: layer.packages, ...(layer.pieces ? { pieces: layer.pieces } : {}) };
      await records.write(key, JSON.stringify(record));
    },
  };
}

/** Hooks of cachingLayerRunner. */
export interface CachingRunnerHooks {
  /** each job's outcome: taken from the cache or built */
  onLayer?: (job: LayerJob, source: 'cached' | 'built') => void;
  /** a job's cached tar was found damaged by its reader and dropped: the job runs again */
  onDropped?: (job: LayerJob) => void;
  /** a layer could not be stored (the storage is full…): the build goes on, caching nothing more */
  onWarning?: (message: string) => void;
}

/**
 * A runner that takes each job's layer from `cache` when it holds it, and otherwise runs the job
 * and stores what it built. Storing is best effort: the first failure (a full quota…) is one warning and the
 * rest of the build runs uncached. A job whose build was cancelled stores nothing.
 */
export function cachingLayerRunner(run: LayerRunner, cache: LayerCache, hooks: CachingRunnerHooks = {}): LayerRunner {
  let storing = true;
  return async (job, signal) => {
    const key = await layerCacheKey(job);
    // not hashed here: the layer's reader hashes the tar (as it writes it, where it can), see layersFromJobs
    const hit = key === undefined ? undefined : await cache.get(key, { verify: false }).catch(() => undefined);
    if (hit) {
      hooks.onLayer?.(job, 'cached');
      const drop = async () => { hooks.onDropped?.(job); await cache.forget(key!).catch(() => {}); };
      return { digest: hit.digest, size: hit.size, tar: hit.tar, packages: hit.packages, unverified: { drop, ...(hit.pieces ? { pieces: hit.pieces } : {}) } };
    }
    // a layer to be kept is made with its pieces' digests (where its maker stores it as it is made), for the
    // rebuilds that read it to check it piece by piece
    const built = await run(key !== undefined && storing ? { ...job, pieceDigests: true } : job, signal);
    hooks.onLayer?.(job, 'built');
    if (key !== undefined && storing && !signal?.aborted) {
      try {
        await cache.put(key, built);
      } catch (e) {
        storing = false;
        const why = isStorageFull(e) ? 'the storage quota is exceeded' : `storing failed (${e instanceof Error ? e.message : String(e)})`;
        hooks.onWarning?.(`layer cache: ${why}; the rest of this build is not cached`);
      }
    }
    return built;
  };
}

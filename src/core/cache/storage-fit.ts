/**
 * Whether a build fits in the browser's storage, before it starts: the bytes it needs (packages not yet in
 * the cache, and an estimate of what the build writes: its new layers, stored in the layer cache, and the
 * archive, which holds the base's layers and the new ones) against `navigator.storage.estimate()`.
 */
import { formatBytes } from '../inspect/format';

/**
 * How many times its download size a package takes once unpacked into a layer tar: conda archives are
 * compressed (zstd or bzip2), layers are not. An estimate: the preview says so.
 */
export const UNPACK_FACTOR = 3;

/** What the preview knows of the build's bytes. */
export interface StorageNeedInput {
  /** download size of the packages that are not in the cache */
  uncachedPackages: number;
  /** download size of every package of the environment */
  packages: number;
  /** the base image's layers, as they go into the archive */
  baseLayers: number;
}

/** The bytes a build needs in the origin's storage, by part. */
export interface StorageNeed {
  uncachedPackages: number;
  /** the new layers, unpacked (kept by the layer cache) */
  layers: number;
  /** the docker-archive: the base's layers and the new ones */
  archive: number;
  total: number;
}

/** The comparison the preview shows. */
export interface StorageFit {
  need: StorageNeed;
  /** quota − usage, when the browser gives both */
  available?: number;
  /** false when the need exceeds what is available; undefined when the browser gives no estimate */
  fits?: boolean;
  /** a sentence for the user when it does not fit */
  warning?: string;
}

/** The estimate of what a build needs. */
export function storageNeed(i: StorageNeedInput): StorageNeed {
  const layers = i.packages * UNPACK_FACTOR;
  const archive = i.baseLayers + layers;
  return { uncachedPackages: i.uncachedPackages, layers, archive, total: i.uncachedPackages + layers + archive };
}

/** Compares the need with the browser's estimate (`navigator.storage.estimate()`; absent where there is none). */
export function storageFit(need: StorageNeed, estimate?: { usage?: number; quota?: number }): StorageFit {
  if (estimate?.quota === undefined || estimate.usage === undefined) return { need };
  const available = Math.max(0, estimate.quota - estimate.usage);
  const fits = need.total <= available;
  return {
    need, available, fits,
    ...(fits ? {} : {
      warning: `This build needs about ${formatBytes(need.total)} of browser storage (${formatBytes(need.uncachedPackages)} of packages not cached yet, ` +
        `~${formatBytes(need.layers)} of layers, ~${formatBytes(need.archive)} for the image) but only ${formatBytes(available)} is available: ` +
        'free some (Clear in the Cache panel), or the build continues uncached once the storage is full.',
    }),
  };
}

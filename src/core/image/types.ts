import type { Digest } from '../digest';
import type { Compression, ConfigFile, Manifest, MediaType } from '../oci';

/**
 * One filesystem layer. Every method says which form it deals in:
 * "compressed" is the blob as stored (in a registry or archive), "uncompressed" is the plain tar
 * whose sha256 is the config's diff_id. For an uncompressed layer both forms are the same bytes.
 * Digests are computed at most once, when first asked.
 */
export interface Layer {
  /** sha256 of the compressed blob as stored (= diffId() when the layer is uncompressed) */
  digest(): Promise<Digest>;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry */
  diffId(): Promise<Digest>;
  /** byte length of the compressed blob */
  size(): Promise<number>;
  /** byte length of the uncompressed tar */
  uncompressedSize(): Promise<number>;
  /** media type of the compressed blob */
  readonly mediaType: MediaType;
  /** compression of the compressed blob */
  readonly compression: Compression;
  /** annotations of the blob's descriptor, kept when a manifest is regenerated (e.g. eStargz TOC digest) */
  readonly annotations?: Record<string, string>;
  /** a fresh stream of the compressed blob */
  compressed(): ReadableStream<Uint8Array>;
  /** a fresh stream of the uncompressed tar */
  uncompressed(): ReadableStream<Uint8Array>;
}
// optional capabilities (a Blob of the uncompressed tar, self-hashed bytes, prefetch) are small interfaces with
// type guards in capabilities.ts

/** A read-only image: a manifest, a config and its layers (bottom first). */
export interface Image {
  /** the image manifest; its layer descriptors describe the compressed blobs */
  manifest(): Promise<Manifest>;
  /** the exact manifest bytes (what the image digest is computed over) */
  rawManifest(): Promise<Uint8Array>;
  /** sha256 of rawManifest() */
  digest(): Promise<Digest>;
  /** the parsed config */
  config(): Promise<ConfigFile>;
  /** the exact config bytes (its sha256 is the image ID) */
  rawConfig(): Promise<Uint8Array>;
  /** layers, bottom first */
  layers(): Promise<Layer[]>;
}

/**
 * Optional layer capabilities, each a small interface with a type guard (as go-containerregistry's `partial`
 * package does): a layer offers one by having its member, and a caller asks the guard instead of every Layer
 * carrying optional members that every caller must check. A wrapper that hides a capability simply lacks it.
 */
import type { Layer } from './types';

/** A layer that holds its uncompressed tar as a Blob (an uncompressed archive member): random access, no streaming. */
export interface UncompressedBlobLayer extends Layer {
  /** the uncompressed tar, the very bytes whose sha256 is diffId() */
  uncompressedBlob(): Blob;
}

/** Whether `layer` holds its uncompressed tar as a Blob. */
export function hasUncompressedBlob(layer: Layer): layer is UncompressedBlobLayer {
  return typeof (layer as Partial<UncompressedBlobLayer>).uncompressedBlob === 'function';
}

/** The layer's uncompressed tar as a Blob when it holds one, else undefined (it must then be streamed). */
export function uncompressedBlobOf(layer: Layer): Blob | undefined {
  return hasUncompressedBlob(layer) ? layer.uncompressedBlob() : undefined;
}

/**
 * A layer whose uncompressed() gives out the very bytes this process hashed to get diffId() (built here, kept in
 * memory or in its own temporary file), so a writer need not hash them again; their length is still checked.
 * No layer read from outside (archives, registries, caches) is one.
 */
export interface SelfHashedLayer extends Layer {
  readonly selfHashed: true;
}

/** Whether `layer`'s bytes were hashed by this process as it made them. */
export function isSelfHashed(layer: Layer): layer is SelfHashedLayer {
  return (layer as Partial<SelfHashedLayer>).selfHashed === true;
}

/**
 * A self-hashed layer some of whose bytes may come from a cache that has not hashed them yet (a layer taken
 * from the layer cache): `uncompressed()` hashes such bytes before giving them out, while
 * `uncompressedThenChecked()` gives them out in the same pass that hashes them, for a writer that can write
 * over what it wrote (a file): once the stream has ended, `settled` resolves to undefined when the bytes
 * were right, or to a stream of the right bytes (the layer built again: same length) to be written over them.
 */
export interface CheckedAfterReadLayer extends SelfHashedLayer {
  uncompressedThenChecked(): { stream: ReadableStream<Uint8Array>; settled: Promise<ReadableStream<Uint8Array> | undefined> };
}

/** Whether `layer` can give out cached bytes and check them as they stream. */
export function isCheckedAfterRead(layer: Layer): layer is CheckedAfterReadLayer {
  return typeof (layer as Partial<CheckedAfterReadLayer>).uncompressedThenChecked === 'function';
}

/**
 * A layer that checks its uncompressed bytes against diffId() itself, where it makes them (a pulled gzip layer
 * decoded on another thread hashes the output there, as it decodes), so a writer need not hash them again.
 */
export interface SelfCheckingLayer extends Layer {
  /**
   * the uncompressed tar, checked against diffId() (and `size` bytes, when given) while it streams: the stream
   * errors with DigestMismatchError / SizeMismatchError at its end (or once it is too long) when they differ
   */
  uncompressedChecked(size?: number): ReadableStream<Uint8Array>;
}

/** Whether `layer` can check its own uncompressed bytes against its diff_id. */
export function isSelfChecking(layer: Layer): layer is SelfCheckingLayer {
  return typeof (layer as Partial<SelfCheckingLayer>).uncompressedChecked === 'function';
}

/** A layer whose blob can be downloaded ahead of being read (a pulled layer). */
export interface PrefetchableLayer extends Layer {
  /** downloads the compressed blob into the store (verified) if it is not there yet */
  prefetch(): Promise<void>;
}

/** Whether `layer` can start its download ahead of a read. */
export function isPrefetchable(layer: Layer): layer is PrefetchableLayer {
  return typeof (layer as Partial<PrefetchableLayer>).prefetch === 'function';
}

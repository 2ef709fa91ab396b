import { hashingStream, digestStream, sha256, type Digest } from '../digest';
import { CoreError, registerErrorClass } from '../errors';
import { compressionOfMediaType } from '../oci';
import { decompressStream, sniffStream } from '../compress';
import type { Image } from './types';

/** validate() found problems; `problems` lists every one, in order (config first, then layers). */
export class InvalidImageError extends CoreError {
  override readonly name = 'InvalidImageError';
  constructor(readonly problems: string[]) {
    super('invalid-image', `image is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
  }
}

registerErrorClass('InvalidImageError', InvalidImageError);

/** What validate() measured, per layer, by streaming it. */
export interface ValidatedLayer {
  /** sha256 and byte length of the compressed blob */
  digest: Digest;
  size: number;
  /** sha256 and byte length of the uncompressed tar */
  diffId: Digest;
  uncompressedSize: number;
}

/**
 * Checks an image end to end, reading every layer exactly once: the config blob's digest and size
 * equal manifest.config; per layer, the compressed blob's digest and size equal its manifest
 * descriptor (and what the Layer claims), the uncompressed tar's digest equals
 * rootfs.diff_ids[i] (and Layer.diffId()), the bytes' compression matches an OCI media type;
 * counts of layers, descriptors and diff_ids agree; when history exists, its entries that are not
 * `empty_layer` number as many as the layers. Throws InvalidImageError listing every problem.
 * Layers are read one after another; a Layer that does not know its own digests yet computes them
 * as well (one more read of that layer). `signal` aborts between and during layers (rethrown as is).
 */
export async function validate(image: Image, opts: { signal?: AbortSignal } = {}): Promise<ValidatedLayer[]> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const problems: string[] = [];
  const [manifest, rawConfig, config, layers] = await Promise.all([image.manifest(), image.rawConfig(), image.config(), image.layers()]);

  const cfgDigest = await sha256(rawConfig);
  if (manifest.config.digest !== cfgDigest) problems.push(`config digest is ${cfgDigest}, manifest says ${manifest.config.digest}`);
  if (manifest.config.size !== rawConfig.byteLength) problems.push(`config is ${rawConfig.byteLength} bytes, manifest says ${manifest.config.size}`);

  const diffIds = config.rootfs?.diff_ids ?? [];
  if (layers.length !== manifest.layers.length) problems.push(`image has ${layers.length} layers, manifest lists ${manifest.layers.length}`);
  if (layers.length !== diffIds.length) problems.push(`image has ${layers.length} layers, config rootfs.diff_ids lists ${diffIds.length}`);
  if (config.history) {
    const nonEmpty = config.history.filter((h) => !h.empty_layer).length;
    if (nonEmpty !== diffIds.length) problems.push(`config history has ${nonEmpty} entries that are not empty_layer, but rootfs has ${diffIds.length} layers`);
  }

  const measured: ValidatedLayer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const desc = manifest.layers[i];
    const name = `layer ${i} (${desc?.digest ?? 'no descriptor'})`;
    signal?.throwIfAborted();
    try {
      // the compressed digest is taken on the pass the decoder finishes (a native gunzip that
      // gives up reopens the layer: see decompressStream's `reopen`)
      let hashed = hashingStream();
      const open = (): ReadableStream<Uint8Array> => {
        hashed = hashingStream();
        return layer.compressed().pipeThrough(hashed.stream, { signal });
      };
      const sniffed = await sniffStream(open());
      if (sniffed.compression !== layer.compression) {
        problems.push(`${name}: bytes are ${sniffed.compression === 'none' ? 'uncompressed' : sniffed.compression}, the layer says ${layer.compression}`);
      }
      const decoded = decompressStream(sniffed.stream, sniffed.compression, { what: name, reopen: open });
      const u = await digestStream(decoded);
      const c = await hashed.result;
      measured.push({ digest: c.digest, size: c.size, diffId: u.digest, uncompressedSize: u.size });
      if (desc) {
        if (desc.digest !== c.digest) problems.push(`${name}: compressed blob digest is ${c.digest}, manifest says ${desc.digest}`);
        if (desc.size !== c.size) problems.push(`${name}: compressed blob is ${c.size} bytes, manifest says ${desc.size}`);
        const mtc = desc.mediaType.startsWith('application/vnd.oci.') ? compressionOfMediaType(desc.mediaType) : undefined;
        if (mtc !== undefined && mtc !== sniffed.compression) problems.push(`${name}: media type ${desc.mediaType} but the bytes are ${sniffed.compression}`);
      }
      if (diffIds[i] !== undefined && diffIds[i] !== u.digest) problems.push(`${name}: uncompressed digest is ${u.digest}, config rootfs.diff_ids[${i}] says ${diffIds[i]}`);
      const [claimD, claimU] = await Promise.all([layer.digest(), layer.diffId()]);
      if (claimD !== c.digest && claimD !== desc?.digest) problems.push(`${name}: the layer claims digest ${claimD}, its bytes hash to ${c.digest}`);
      if (claimU !== u.digest && claimU !== diffIds[i]) problems.push(`${name}: the layer claims diffId ${claimU}, its uncompressed bytes hash to ${u.digest}`);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      problems.push(`${name}: cannot be read: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new InvalidImageError(problems);
  return measured;
}

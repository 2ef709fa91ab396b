/**
 * Limits every image reader applies, whatever the source (archive, layout folder, registry): an image
 * past them is refused before its layers are touched, with an error naming what it has.
 */
import { CoreError } from '../errors';

/**
 * The most layers an image may have. Docker stops builds at 125 (`maxLayerDepth`, base layers included);
 * this leaves room for images made by other tools while refusing manifests that list layers by the
 * hundred thousand (each costs a descriptor, a Layer and reads of its blob).
 */
export const MAX_IMAGE_LAYERS = 1000;

/** Throws CoreError 'too-many-layers' when `count` is over MAX_IMAGE_LAYERS; `what` names the manifest or config. */
export function checkLayerCount(count: number, what: string): void {
  if (count > MAX_IMAGE_LAYERS) {
    throw new CoreError('too-many-layers',
      `${what} lists ${count} layers, more than the ${MAX_IMAGE_LAYERS} an image may have here (Docker itself stops at 125): refusing it`);
  }
}

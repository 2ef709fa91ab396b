/**
 * One walk over every layer of an image, in order, offering each tar entry to several visitors: a build
 * learns the base's libc and its conda prefix in a single read of the layers instead of one per question.
 */
import { readTar, type TarEntry } from '../tar';
import type { Image } from './types';

/** Looks at entries; reads `body` only for the entries it wants (at most one visitor reads a body). */
export interface LayerEntryVisitor {
  visit(entry: TarEntry, body: ReadableStream<Uint8Array>): void | Promise<void>;
}

/** Walks the image's layers bottom first, each entry offered to every visitor in turn. */
export async function scanLayers(image: Image, visitors: LayerEntryVisitor[]): Promise<void> {
  for (const layer of await image.layers()) {
    for await (const { entry, body } of readTar(layer.uncompressed())) {
      for (const v of visitors) await v.visit(entry, body);
    }
  }
}

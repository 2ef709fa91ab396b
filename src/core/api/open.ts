/**
 * The library's openImage and pullImage: the resolver (src/core/image/open.ts) giving ContainerImage values,
 * which carry a name and the edits of the seed's API (removeLayer, withName, addLayer…, withConfig, writeTo).
 */
import { normalizeTag } from '../archive';
import { openImage as resolveImage, openRegistryImage, type ImageInput, type OpenedImage, type OpenImageOptions } from '../image/open';
import type { Image } from '../image';
import type { ImageReference } from '../registry';
import { ContainerImage } from './container-image';

/** An opened image whose `image` is a ContainerImage (named after the source's first tag, when it has one). */
export type OpenedContainerImage<T extends ContainerImage = ContainerImage> = Omit<OpenedImage, 'image'> & { image: T };

/** Options of pullImage: openImage's, less what only archives and paths use. */
export type PullImageOptions = Omit<OpenImageOptions, 'openPath' | 'spill' | 'image' | 'imageHint'>;

/** Makes the image value of an opened image (ContainerImage here, NodeImage in Node). */
export type ImageMaker<T extends ContainerImage> = (image: Image, name: string | undefined) => T;

const makeContainerImage: ImageMaker<ContainerImage> = (image, name) => new ContainerImage(image, name);

/** `opened` with its image as a value made by `make`, named after its first tag that docker reads as a tag. */
export function asContainerImage<T extends ContainerImage>(opened: OpenedImage, make: ImageMaker<T>): OpenedContainerImage<T> {
  const name = opened.tags.find((t) => { try { normalizeTag(t); return true; } catch { return false; } });
  return { ...opened, image: make(opened.image, name) };
}

/**
 * Opens an image from any source: a registry reference, an image tarball (Blob/File), an OCI layout folder or a
 * browser directory handle (see the resolver's OpenImageOptions: platform, credentials, insecure, fetch, store…).
 */
export async function openImage(input: ImageInput, opts: OpenImageOptions = {}): Promise<OpenedContainerImage> {
  return asContainerImage(await resolveImage(input, opts), makeContainerImage);
}

/**
 * Pulls `ref` from its registry for one platform (openImage's registry-only form): the manifest and config now,
 * layers when first read (verified into `store`, default memory). Its image is named `registry/repository:tag`.
 */
export async function pullImage(ref: string | ImageReference, opts: PullImageOptions = {}): Promise<OpenedContainerImage> {
  return asContainerImage(await openRegistryImage(ref, opts), makeContainerImage);
}

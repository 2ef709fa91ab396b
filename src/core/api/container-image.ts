/**
 * ContainerImage: the library's image value. It is an Image (manifest, config, layers) with a name, and
 * every edit (removeLayer, withName, addLayerContents, addLayerFolder, withConfig) returns a NEW value over
 * the same lazy model: no layer bytes are copied, digests are computed when first asked, and writeTo streams.
 * The Node entry's NodeImage adds what needs a file system (a folder path, writeFile).
 */
import { writeDockerArchiveTo, normalizeTag } from '../archive';
import { CoreError } from '../errors';
import {
  appendLayers, assembleImage, folderFromDirectoryHandle, layerFromFiles, layerFromFolder, removeTopLayer,
  type FileSpec, type FolderItem, type FolderSource, type Image, type Layer,
} from '../image';
import type { ConfigFile } from '../oci';

/** Options of a new layer: its mtimes and where its files go, and the history entry describing it. */
export interface NewLayerOptions {
  /** mtime of every entry, seconds since the epoch (default 0: reproducible; pass SOURCE_DATE_EPOCH to follow it) */
  epoch?: number;
  /** a folder every path is put under ('opt/app'); default the image's root */
  prefix?: string;
  /** the history entry's created_by (what `docker history` shows) */
  createdBy?: string;
}

/** Options of addLayerFolder: which items to keep (e.g. condaFileFilter()), besides NewLayerOptions. */
export interface AddFolderOptions extends NewLayerOptions {
  /** keep an item when this returns true; `path` is relative to the folder, before `prefix` */
  filter?: (path: string, kind: FolderItem['kind']) => boolean;
  /** the same layer from every source (regular files only, no x bits, no symlinks); see layerFromFolder */
  portable?: boolean;
}

/** Options of writeTo. */
export interface WriteImageOptions {
  /** mtime of the archive's own entries, seconds since the epoch (default 0) */
  mtime?: number;
  signal?: AbortSignal;
}

/** Contents of addLayerContents: path → bytes (strings are UTF-8, Blobs are streamed when written). */
export type LayerContents = Record<string, Uint8Array | string | Blob>;

function isDirectoryHandle(x: unknown): x is FileSystemDirectoryHandle {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'directory';
}

/** An image with a name; every method that changes something returns a new ContainerImage (of the same class). */
export class ContainerImage implements Image {
  /**
   * @param image the image this value is over (never changed)
   * @param name the tag it is written and loaded as (`name[:tag]`, as docker reads it); none: written untagged
   */
  constructor(readonly image: Image, readonly name?: string) {
    if (name !== undefined) normalizeTag(name);
  }

  /** A new value of this value's class over `image` (a NodeImage stays a NodeImage). */
  protected derive(image: Image, name: string | undefined = this.name): this {
    const Self = this.constructor as new (image: Image, name?: string) => this;
    return new Self(image, name);
  }

  manifest() { return this.image.manifest(); }
  rawManifest() { return this.image.rawManifest(); }
  digest() { return this.image.digest(); }
  config() { return this.image.config(); }
  rawConfig() { return this.image.rawConfig(); }
  layers() { return this.image.layers(); }

  /** The image without its top layer (its diff_id and history entry go too). CoreError 'invalid-argument' when it has none. */
  removeLayer(): this {
    return this.derive(removeTopLayer(this.image));
  }

  /** The same image under another name (a retag); CoreError 'invalid-argument' for a name docker would refuse. */
  withName(name: string): this {
    return this.derive(this.image, name);
  }

  /** The image with `layer` on top, described in its history by `createdBy`. */
  addLayer(layer: Layer, createdBy?: string): this {
    return this.derive(appendLayers(this.image, [{ layer, ...(createdBy ? { history: { created_by: createdBy } } : {}) }]));
  }

  /** The image with a layer of in-memory files on top (path → content; files 0644, parents created). */
  addLayerContents(contents: LayerContents, opts: NewLayerOptions = {}): this {
    const specs: FileSpec[] = Object.entries(contents).map(([path, content]) => ({ path, content }));
    const layer = layerFromFiles(specs, { ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}), ...(opts.prefix ? { prefix: opts.prefix } : {}) });
    return this.addLayer(layer, opts.createdBy ?? `docker-envs: add ${specs.length} file${specs.length === 1 ? '' : 's'}`);
  }

  /**
   * The image with a layer made of a folder on top: a FolderSource (folderFromFileList…) or a browser directory
   * handle. Entries are sorted and their mtimes are `epoch`, so the same folder gives the same layer digest.
   */
  addLayerFolder(folder: FolderSource | FileSystemDirectoryHandle, opts: AddFolderOptions = {}): this {
    const source = isDirectoryHandle(folder) ? folderFromDirectoryHandle(folder) : folder;
    const layer = layerFromFolder(source, {
      ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}), ...(opts.prefix ? { prefix: opts.prefix } : {}),
      ...(opts.filter ? { filter: opts.filter } : {}), ...(opts.portable ? { portable: true } : {}),
    });
    return this.addLayer(layer, opts.createdBy ?? `docker-envs: add folder${opts.prefix ? ` to /${opts.prefix.replace(/^\/+/, '')}` : ''}`);
  }

  /**
   * The image whose config is what `edit` makes of a copy of it: edit the copy in place or return a new one
   * (`c.config.Env.push('FOO=BAR')`). Layers are unchanged, so `rootfs` must stay as it was: a change there is
   * CoreError 'invalid-argument' when the config is read.
   */
  withConfig(edit: (config: ConfigFile) => ConfigFile | void): this {
    const base = this.image;
    return this.derive(assembleImage({
      layers: () => base.layers(),
      config: async () => {
        const before = await base.config();
        const copy = structuredClone(before);
        const after = edit(copy) ?? copy;
        if (JSON.stringify(after.rootfs) !== JSON.stringify(before.rootfs)) {
          throw new CoreError('invalid-argument', 'withConfig: rootfs (the layers\' diff_ids) cannot be changed; add or remove layers instead');
        }
        return after;
      },
    }));
  }

  /** Streams the image as a `docker load`-able archive (tagged with its name) into `sink`; resolves once it is closed. */
  writeTo(sink: WritableStream<Uint8Array>, opts: WriteImageOptions = {}): Promise<void> {
    return writeDockerArchiveTo([{ image: this.image, tags: this.name ? [this.name] : [] }], sink, opts);
  }
}

/** A ContainerImage over any Image; one that already is keeps its class (renamed when `name` is given). */
export function containerImage(image: Image, name?: string): ContainerImage {
  if (image instanceof ContainerImage) return name === undefined ? image : image.withName(name);
  return new ContainerImage(image, name);
}

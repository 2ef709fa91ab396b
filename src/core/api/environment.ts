/**
 * buildDockerEnvironment: the seed's one-call build (base image + conda packages → a named image, optionally
 * written as an archive), over the pipeline. A base whose prefix already holds packages (a miniconda image)
 * keeps them: the solve adds only what is missing, and conda-meta/history gets the new revision appended.
 */
import type { BlobStore } from '../cache';
import { memoryBlobStore } from '../cache';
import { CoreError } from '../errors';
import type { Image } from '../image';
import type { ImageInput } from '../image/open';
import type { Platform } from '../oci';
import { buildEnvironment, type BuildRequest, type BuildResult } from '../pipeline';
import { ContainerImage } from './container-image';
import { openImage, type ImageMaker, type PullImageOptions } from './open';

/** What buildDockerEnvironment takes. */
export interface BuildDockerEnvironmentOptions {
  /** the base: a registry reference, an image tarball or layout folder (anything openImage takes), or an Image */
  baseImage: ImageInput | Image;
  /** the name:tag of the result (what `docker load` tags it as) */
  outputImage: string;
  /** conda match specs ('numpy', 'flask >=3') */
  packages: string[];
  /** channel URLs or names; default conda-forge */
  channels?: string[];
  /** the base's platform to take from a multi-platform reference; its conda subdir follows (linux-64, linux-aarch64) */
  platform?: Platform;
  /** the conda prefix; default /opt/conda */
  prefix?: string;
  /** SOURCE_DATE_EPOCH: mtimes of new files and the image's `created`; default 0 */
  epoch?: number;
  /** how the base is pulled (credentials, insecure, fetch, store) when it is a reference */
  pull?: Omit<PullImageOptions, 'platform' | 'signal'>;
  /** where fetched packages are kept (verified); default memory */
  store?: BlobStore;
  /**
   * the fetch packages and repodata go through (a proxy-routing one in a browser); default the global fetch. It must
   * not look the global fetch up when called (capture it first): the solver swaps the global one while it reads repodata
   */
  fetch?: typeof fetch;
  /** also stream the archive (`docker load`-able, tagged outputImage) into this sink */
  output?: WritableStream<Uint8Array>;
  /** further pipeline settings (layering strategy, variables, entrypoint, a lock…) */
  build?: Partial<Omit<BuildRequest, 'base' | 'specs' | 'channels' | 'prefix' | 'epoch' | 'store' | 'fetch' | 'signal' | 'onProgress'>>;
  onProgress?: BuildRequest['onProgress'];
  signal?: AbortSignal;
}

/** What buildDockerEnvironment made: the image (named outputImage), the packages added and the layers' contents. */
export interface DockerEnvironment<T extends ContainerImage = ContainerImage> {
  image: T;
  /** the packages installed by this build (the base's are not repeated), in link order */
  solved: BuildResult['solved'];
  /** package names of each new layer, bottom first (a last layer holds conda-meta/history and environment.yml) */
  layers: string[][];
  /** what did not stop the build (link scripts not run, clobbered paths); settles once every layer is built */
  warnings: Promise<string[]>;
}

/** The base as an Image: opened when it is not one already. */
async function resolveBase(base: ImageInput | Image, opts: BuildDockerEnvironmentOptions, open: typeof openImage): Promise<Image> {
  const isImage = typeof base === 'object' && base !== null && typeof (base as Partial<Image>).layers === 'function' && typeof (base as Partial<Image>).config === 'function';
  if (isImage) {
    const cfg = await (base as Image).config();
    const p = opts.platform;
    if (p && (cfg.os !== p.os || cfg.architecture !== p.architecture)) {
      throw new CoreError('platform-not-found', `the base image is ${cfg.os}/${cfg.architecture}, not the ${p.os}/${p.architecture} asked for`);
    }
    return base as Image;
  }
  return (await open(base as ImageInput, { ...opts.pull, ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })).image;
}

/** The build over given openers and image maker (the Node entry passes its own: paths, the cache folder, NodeImage). */
export async function buildDockerEnvironmentWith<T extends ContainerImage>(
  opts: BuildDockerEnvironmentOptions, env: { open: typeof openImage; make: ImageMaker<T>; defaults?: Partial<BuildRequest> },
): Promise<DockerEnvironment<T>> {
  const base = await resolveBase(opts.baseImage, opts, env.open);
  const result = await buildEnvironment({
    ...env.defaults, ...opts.build,
    base, specs: opts.packages, channels: opts.channels?.length ? opts.channels : ['conda-forge'],
    store: opts.store ?? env.defaults?.store ?? memoryBlobStore(), epoch: opts.epoch ?? 0,
    ...(opts.prefix ? { prefix: opts.prefix } : {}), ...(opts.fetch ? { fetch: opts.fetch, repodataFetch: opts.fetch } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const image = env.make(result.image, opts.outputImage);
  if (opts.output) await image.writeTo(opts.output, { mtime: opts.epoch ?? 0, ...(opts.signal ? { signal: opts.signal } : {}) });
  return { image, solved: result.solved, layers: result.layers, warnings: result.warnings };
}

/**
 * Builds `packages` from `channels` into the conda prefix of `baseImage` and names the result `outputImage`;
 * with `output`, streams it there as a `docker load`-able archive. Packages the base's prefix already holds stay.
 */
export function buildDockerEnvironment(opts: BuildDockerEnvironmentOptions): Promise<DockerEnvironment> {
  return buildDockerEnvironmentWith(opts, { open: openImage, make: (image, name) => new ContainerImage(image, name) });
}

/**
 * buildDockerEnvironment: the seed's one-call build (base image + conda packages → a named image, optionally
 * written as an archive), over the pipeline. A base whose prefix already holds packages (a miniconda image)
 * keeps them: the solve adds only what is missing, and conda-meta/history gets the new revision appended.
 * With several `platforms`, each is built on the base's manifest for it (buildEnvironments), and the archive
 * holds an OCI index of them, as `docker-envs build --platform a,b` writes it.
 */
import type { BlobStore } from '../cache';
import { memoryBlobStore } from '../cache';
import { CoreError } from '../errors';
import type { Image } from '../image';
import type { ImageInput } from '../image/open';
import type { Platform } from '../oci';
import { writeDockerArchiveTo, type ArchiveItem } from '../archive';
import { buildEnvironment, buildEnvironments, type BuildRequest, type BuildResult } from '../pipeline';
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
  /**
   * several platforms (instead of `platform`): each built on the base's manifest for it (the base must hold each:
   * a reference to an index, or a multi-platform archive or layout), solved for its conda subdir; the archive
   * holds an OCI index of them, and manifest.json the first (what Docker before 25 loads)
   */
  platforms?: Platform[];
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

/** One platform's image of a multi-platform build. */
export interface PlatformEnvironment<T extends ContainerImage = ContainerImage> {
  platform: Platform;
  /** the conda subdir it was solved for (linux-64, linux-aarch64) */
  subdir: string;
  image: T;
  solved: BuildResult['solved'];
  layers: string[][];
  warnings: Promise<string[]>;
}

/**
 * What buildDockerEnvironment made: the image (named outputImage), the packages added and the layers' contents;
 * for several platforms, each platform's in `platforms`, and the fields above are the first platform's.
 */
export interface DockerEnvironment<T extends ContainerImage = ContainerImage> {
  image: T;
  platforms?: PlatformEnvironment<T>[];
  /** the packages installed by this build (the base's are not repeated), in link order */
  solved: BuildResult['solved'];
  /** package names of each new layer, bottom first (a last layer holds conda-meta/history and environment.yml) */
  layers: string[][];
  /** what did not stop the build (link scripts not run, clobbered paths); settles once every layer is built */
  warnings: Promise<string[]>;
}

/** The base as an Image for `platform`: opened when it is not one already. */
async function resolveBase(base: ImageInput | Image, opts: BuildDockerEnvironmentOptions, open: typeof openImage, platform = opts.platform): Promise<Image> {
  const isImage = typeof base === 'object' && base !== null && typeof (base as Partial<Image>).layers === 'function' && typeof (base as Partial<Image>).config === 'function';
  if (isImage) {
    if (opts.platforms && opts.platforms.length > 1) {
      throw new CoreError('invalid-argument', 'a multi-platform build needs a base that holds each platform (a reference, a multi-platform archive or layout folder), not one Image');
    }
    const cfg = await (base as Image).config();
    const p = platform;
    if (p && (cfg.os !== p.os || cfg.architecture !== p.architecture)) {
      throw new CoreError('platform-not-found', `the base image is ${cfg.os}/${cfg.architecture}, not the ${p.os}/${p.architecture} asked for`);
    }
    return base as Image;
  }
  return (await open(base as ImageInput, { ...opts.pull, ...(platform ? { platform } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })).image;
}

/** What an archive of the environment holds: its image, or for several platforms an index of them, tagged `name`. */
export function environmentArchiveItem(env: DockerEnvironment, name: string): ArchiveItem {
  const tags = [name];
  return env.platforms ? { platforms: env.platforms.map((p) => ({ image: p.image, platform: p.platform })), tags } : { image: env.image, tags };
}

/** The build over given openers and image maker (the Node entry passes its own: paths, the cache folder, NodeImage). */
export async function buildDockerEnvironmentWith<T extends ContainerImage>(
  opts: BuildDockerEnvironmentOptions, env: { open: typeof openImage; make: ImageMaker<T>; defaults?: Partial<BuildRequest> },
): Promise<DockerEnvironment<T>> {
  if (opts.platform && opts.platforms) throw new CoreError('invalid-argument', 'give platform or platforms, not both');
  const request: Omit<BuildRequest, 'base'> = {
    ...env.defaults, ...opts.build,
    specs: opts.packages, channels: opts.channels?.length ? opts.channels : ['conda-forge'],
    store: opts.store ?? env.defaults?.store ?? memoryBlobStore(), epoch: opts.epoch ?? 0,
    ...(opts.prefix ? { prefix: opts.prefix } : {}), ...(opts.fetch ? { fetch: opts.fetch, repodataFetch: opts.fetch } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  };
  let out: DockerEnvironment<T>;
  if (opts.platforms && opts.platforms.length > 1) {
    if (opts.build?.lock) throw new CoreError('invalid-argument', 'a lock holds one platform\'s packages: give one platform with it');
    const bases = [];
    for (const platform of opts.platforms) bases.push({ platform, base: await resolveBase(opts.baseImage, opts, env.open, platform) });
    const platforms = (await buildEnvironments({ ...request, bases })).map((b): PlatformEnvironment<T> => ({
      platform: b.platform, subdir: b.subdir, image: env.make(b.result.image, opts.outputImage), solved: b.result.solved, layers: b.result.layers, warnings: b.result.warnings,
    }));
    const [{ image, solved, layers, warnings }] = platforms;
    out = { image, solved, layers, warnings, platforms };
  } else {
    const base = await resolveBase(opts.baseImage, opts, env.open, opts.platform ?? opts.platforms?.[0]);
    const result = await buildEnvironment({ ...request, base });
    out = { image: env.make(result.image, opts.outputImage), solved: result.solved, layers: result.layers, warnings: result.warnings };
  }
  if (opts.output) await writeDockerArchiveTo([environmentArchiveItem(out, opts.outputImage)], opts.output, { mtime: opts.epoch ?? 0, ...(opts.signal ? { signal: opts.signal } : {}) });
  return out;
}

/**
 * Builds `packages` from `channels` into the conda prefix of `baseImage` and names the result `outputImage`;
 * with `output`, streams it there as a `docker load`-able archive. Packages the base's prefix already holds stay.
 */
export function buildDockerEnvironment(opts: BuildDockerEnvironmentOptions): Promise<DockerEnvironment> {
  return buildDockerEnvironmentWith(opts, { open: openImage, make: (image, name) => new ContainerImage(image, name) });
}

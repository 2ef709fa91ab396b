import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { CoreError } from '../core/errors';
import { isPrefetchable, type Image } from '../core/image';
import { openRegistryImage } from '../core/image/open';
import { formatPlatform, type Platform } from '../core/oci';
import { pushImage, pushIndex, RegistryClient, type PushResult } from '../core/registry';
import { imageOptions, openImageArg, parseCreds } from './open-image';
import { transferProgress, type ProgressSink } from './transfer-progress';

/** Options of `docker-envs pull`. */
export interface PullCliOptions {
  output: string;
  platform?: string;
  creds?: string;
  insecure?: boolean;
  cache?: string;
  /** where progress goes: a bar rewritten in place on a terminal, a line per blob downloaded elsewhere */
  progress?: ProgressSink;
}

/** Pulls REF into a docker-archive at opts.output (layers uncompressed, diff_ids verified while writing). */
export async function pullToArchive(ref: string, opts: PullCliOptions): Promise<{ manifestDigest: string; platform: string; bytes: number }> {
  const { onProgress, end } = transferProgress(opts.progress, { doing: 'downloading', done: 'downloaded' });
  // a pull is registry-only: a path here is a mistake, not a copy
  const pulled = await openRegistryImage(ref, imageOptions({ ...opts, onProgress }));
  // the first layer streams from the network into the archive (stored on the way); the others download meanwhile
  const layers = await pulled.image.layers();
  for (const l of layers.slice(1)) if (isPrefetchable(l)) l.prefetch().catch(() => {});
  // the archive's tag: the reference without its digest (docker's RepoTags form)
  const bytes = await writeDockerArchiveToFile([{ image: pulled.image, tags: pulled.tags }], opts.output);
  end();
  return { manifestDigest: pulled.manifestDigest, platform: formatPlatform(pulled.platform), bytes };
}

/**
 * Pushes an image to REF: a docker-archive or OCI layout (file or folder) holding one image, or another
 * reference (its layers are mounted or skipped, never downloaded and re-uploaded, when the registry
 * allows); returns the manifest digest and what was uploaded.
 */
export async function pushFromArchive(input: string, ref: string, opts: { creds?: string; insecure?: boolean; progress?: ProgressSink }): Promise<PushResult> {
  const opened = await openImageArg(input, opts);
  const count = opened.archive?.images.length ?? 1;
  if (count !== 1) throw new CoreError('invalid-argument', `${input} holds ${count} images; push takes an archive with one`);
  return pushTo(opened.image, ref, opts);
}

/** Pushes an image (opened or just built), or one per platform as an image index, to REF with the CLI's --creds and --insecure. */
export async function pushTo(image: Image | Array<{ image: Image; platform: Platform }>, ref: string, opts: { creds?: string; insecure?: boolean; progress?: ProgressSink }): Promise<PushResult> {
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({ credentials: () => creds, insecure: opts.insecure ? () => true : undefined });
  const { onProgress, end } = transferProgress(opts.progress, { doing: 'uploading', done: 'uploaded' });
  try {
    return Array.isArray(image) ? await pushIndex(client, image, ref, { onProgress }) : await pushImage(client, image, ref, { onProgress });
  } finally {
    end();
  }
}

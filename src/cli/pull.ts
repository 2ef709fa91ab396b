import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { CoreError } from '../core/errors';
import { openRegistryImage } from '../core/image/open';
import { formatBytes } from '../core/inspect/format';
import { formatPlatform } from '../core/oci';
import { pushImage, RegistryClient, type PushResult, type RemoteLayer } from '../core/registry';
import { imageOptions, openImageArg, parseCreds } from './open-image';

/** Options of `docker-envs pull`. */
export interface PullCliOptions {
  output: string;
  platform?: string;
  creds?: string;
  insecure?: boolean;
  cache?: string;
  /** writes progress lines here (a TTY), or nothing */
  progress?: { write(s: string): unknown; isTTY?: boolean };
}

/** Pulls REF into a docker-archive at opts.output (layers uncompressed, diff_ids verified while writing). */
export async function pullToArchive(ref: string, opts: PullCliOptions): Promise<{ manifestDigest: string; platform: string; bytes: number }> {
  const seen = new Map<string, [number, number]>();
  let last = 0;
  const onProgress = (digest: string, bytes: number, total: number) => {
    seen.set(digest, [bytes, total]);
    const now = Date.now();
    if (!opts.progress?.isTTY || now - last < 100) return;
    last = now;
    const [got, all] = [...seen.values()].reduce((a, [b, t]) => [a[0] + b, a[1] + t], [0, 0]);
    opts.progress.write(`\r  downloading ${formatBytes(got)} / ${formatBytes(all)} (${seen.size} blobs)   `);
  };
  // a pull is registry-only: a path here is a mistake, not a copy
  const pulled = await openRegistryImage(ref, imageOptions({ ...opts, onProgress }));
  // the first layer streams from the network into the archive (stored on the way); the others download meanwhile
  const layers = await pulled.image.layers();
  for (const l of layers.slice(1)) (l as Partial<RemoteLayer>).prefetch?.().catch(() => {});
  // the archive's tag: the reference without its digest (docker's RepoTags form)
  const bytes = await writeDockerArchiveToFile([{ image: pulled.image, tags: pulled.tags }], opts.output);
  if (opts.progress?.isTTY) opts.progress.write('\r\x1b[K');
  return { manifestDigest: pulled.manifestDigest, platform: formatPlatform(pulled.platform), bytes };
}

/**
 * Pushes an image to REF: a docker-archive or OCI layout (file or folder) holding one image, or another
 * reference (its layers are mounted or skipped, never downloaded and re-uploaded, when the registry
 * allows); returns the manifest digest and what was uploaded.
 */
export async function pushFromArchive(input: string, ref: string, opts: { creds?: string; insecure?: boolean }): Promise<PushResult> {
  const opened = await openImageArg(input, opts);
  const count = opened.archive?.images.length ?? 1;
  if (count !== 1) throw new CoreError('invalid-argument', `${input} holds ${count} images; push takes an archive with one`);
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({ credentials: () => creds, insecure: opts.insecure ? () => true : undefined });
  return pushImage(client, opened.image, ref);
}

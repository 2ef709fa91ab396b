import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { folderBlobStore } from '../core/cache/blob-store.node.js';
import { formatBytes } from '../core/inspect/format';
import { formatPlatform } from '../core/oci';
import { formatReference, pullImage, pushImage, RegistryClient, type Credentials, type PushResult, type RemoteLayer } from '../core/registry';
import { parsePlatform } from './inspect';

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

/** The default cache folder: $XDG_CACHE_HOME/docker-envs or ~/.cache/docker-envs. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'docker-envs');
}

/** Parses `user:password` (the password may contain ':'). */
export function parseCreds(s: string): Credentials {
  const i = s.indexOf(':');
  if (i <= 0) throw new Error('--creds wants user:password');
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

/** Pulls REF into a docker-archive at opts.output (layers uncompressed, diff_ids verified while writing). */
export async function pullToArchive(ref: string, opts: PullCliOptions): Promise<{ manifestDigest: string; platform: string; bytes: number }> {
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({
    credentials: () => creds,
    insecure: opts.insecure ? () => true : undefined,
  });
  const cacheDir = opts.cache ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const store = folderBlobStore(join(cacheDir, 'blobs'));
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
  const pulled = await pullImage(client, ref, { platform: opts.platform ? parsePlatform(opts.platform) : undefined, store, onProgress });
  // the first layer streams from the network into the archive (stored on the way); the others download meanwhile
  const layers = await pulled.image.layers();
  for (const l of layers.slice(1)) (l as Partial<RemoteLayer>).prefetch?.().catch(() => {});
  const bytes = await writeDockerArchiveToFile([{ image: pulled.image, tags: [tagFor(pulled.ref)] }], opts.output);
  if (opts.progress?.isTTY) opts.progress.write('\r\x1b[K');
  return { manifestDigest: pulled.manifestDigest, platform: formatPlatform(pulled.platform), bytes };
}

/** The tag to write into the archive: the reference without its digest (docker's RepoTags form). */
function tagFor(r: import('../core/registry').ImageReference): string {
  return formatReference({ ...r, digest: undefined, tag: r.tag ?? 'latest' });
}

/** Pushes the first image of a docker-archive (or OCI layout) to REF; returns the manifest digest and what was uploaded. */
export async function pushFromArchive(input: string, ref: string, opts: { creds?: string; insecure?: boolean }): Promise<PushResult> {
  const { readImageArchive } = await import('../core/archive');
  const { openAsBlob } = await import('node:fs');
  const archive = await readImageArchive(await openAsBlob(input));
  if (archive.images.length !== 1) throw new Error(`${input} holds ${archive.images.length} images; push takes an archive with one`);
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({ credentials: () => creds, insecure: opts.insecure ? () => true : undefined });
  return pushImage(client, archive.images[0].image, ref);
}

/** `docker-envs diff A B`: two images (archives or registry references) compared: layers shared, config, conda packages, files. */
import { existsSync, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeTag, readImageArchive, type ArchiveImage } from '../core/archive';
import { spillToTempFile } from '../core/archive/spill.node.js';
import { folderBlobStore } from '../core/cache/blob-store.node.js';
import { ArchiveError, CoreError } from '../core/errors';
import { compareImages, type ComparedLayer, type ComparedPackage, type ImageComparison, type ImageToCompare } from '../core/inspect/compare';
import { pullImage, RegistryClient } from '../core/registry';
import { formatBytes } from '../core/inspect/format';
import { parsePlatform } from './inspect';
import { layoutFolderFromPath } from './layout-folder';
import { defaultCacheDir, parseCreds } from './pull';

/** Options of `docker-envs diff`. */
export interface DiffOptions {
  files?: boolean;
  platform?: string;
  /** for archives holding several images: NAME:TAG of the one to compare (one value: both sides; two: A, then B) */
  image?: string[];
  /** for references: registry credentials (user:password), plain http, the blob cache */
  creds?: string;
  insecure?: boolean;
  cache?: string;
}

/** The same tag in any spelling (`busybox`, `busybox:latest`, `docker.io/library/busybox:latest`), or the text as given. */
function tagKey(tag: string): string {
  try { return normalizeTag(tag).full; } catch { return tag; }
}

const tagsOf = (i: ArchiveImage, n: number): string => i.tags[0] ?? `image ${n} (untagged)`;

/** The image of an archive to compare: the one tagged `want`, else the only one, else the first (with a note saying so). */
function pickImage(images: ArchiveImage[], what: string, want: string | undefined, notes: string[]): ArchiveImage {
  if (want) {
    const key = tagKey(want);
    const hit = images.find((i) => i.tags.some((t) => tagKey(t) === key));
    if (!hit) throw new ArchiveError('image-not-found', `${what} has no image tagged ${want}; it holds ${images.map(tagsOf).join(', ')}`);
    return hit;
  }
  if (images.length > 1) {
    notes.push(`${what} holds ${images.length} images (${images.map(tagsOf).join(', ')}); compared the first, ${tagsOf(images[0], 0)}: choose one with --image NAME:TAG`);
  }
  return images[0];
}

/** An image archive (file or OCI layout folder), or else a registry reference pulled through the blob cache. */
async function openImage(what: string, opts: DiffOptions, want: string | undefined, notes: string[]): Promise<ImageToCompare> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  if (existsSync(what)) {
    const input = (await stat(what)).isDirectory() ? layoutFolderFromPath(what) : await openAsBlob(what);
    return pickImage((await readImageArchive(input, { ...(platform ? { platform } : {}), spill: spillToTempFile })).images, what, want, notes);
  }
  if (want) throw new CoreError('invalid-argument', `--image picks an image in an archive; ${what} is a registry reference (name the tag there)`);
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({ credentials: () => creds, ...(opts.insecure ? { insecure: () => true } : {}) });
  const store = folderBlobStore(join(opts.cache ?? defaultCacheDir(), 'blobs'));
  const pulled = await pullImage(client, what, { store, ...(platform ? { platform } : {}) });
  return { image: pulled.image, tags: [what], manifestDigest: pulled.manifestDigest, platform: pulled.platform };
}

/**
 * Compares two images: each an archive (the image `--image` names, else its only or first one, for
 * --platform's platform) or a registry reference. Which image of a several-image archive was taken is
 * said in the warnings.
 */
export async function diffPaths(a: string, b: string, opts: DiffOptions = {}): Promise<ImageComparison> {
  const picks = opts.image ?? [];
  if (picks.length > 2) throw new CoreError('invalid-argument', `--image is given once (both sides) or twice (A, then B), not ${picks.length} times`);
  const notes: string[] = [];
  const ia = await openImage(a, opts, picks[0], notes);
  const ib = await openImage(b, opts, picks[1] ?? picks[0], notes);
  const c = await compareImages(ia, ib, { files: opts.files === true });
  c.warnings.unshift(...notes);
  return c;
}

const short = (d: string) => d.slice(7, 19);
const pkg = (p: ComparedPackage) => `${p.name} ${p.version} ${p.build}`;
const layerLine = (l: ComparedLayer) => `    ${short(l.diffId)}  ${formatBytes(l.size).padStart(9)}  ${l.createdBy ?? ''}`.trimEnd();

/** The comparison as text. */
export function renderDiff(c: ImageComparison, names: [string, string]): string {
  const out: string[] = [];
  for (const [side, img, name] of [['A', c.a, names[0]], ['B', c.b, names[1]]] as const) {
    // the manifest digest is the one a registry names; the config digest is the image ID docker shows
    out.push(`${side}  ${name}  ${img.tags[0] ?? '(untagged)'}  ${img.manifestDigest ? `manifest ${img.manifestDigest}  ` : ''}config ${img.configDigest}  (${img.layers} layers)`);
  }
  const same = c.a.configDigest === c.b.configDigest;
  if (same) out.push('', 'the same image (same config, same layers)');
  out.push('', `layers: ${c.layers.shared.length} shared (${formatBytes(c.layers.sharedBytes)}), ${c.layers.onlyA.length} only in A, ${c.layers.onlyB.length} only in B`);
  if (c.layers.onlyA.length) out.push('  only in A:', ...c.layers.onlyA.map(layerLine));
  if (c.layers.onlyB.length) out.push('  only in B:', ...c.layers.onlyB.map(layerLine));
  if (c.config.length) {
    out.push('', 'config:');
    for (const d of c.config) out.push(`  ${d.key}: ${d.a ?? '(none)'} → ${d.b ?? '(none)'}`);
  }
  const prefixes = [...new Set([...c.conda.added, ...c.conda.removed, ...c.conda.changed.map((x) => x.a)].map((p) => p.prefix))].sort();
  for (const prefix of prefixes) {
    out.push('', `conda packages in /${prefix}:`);
    for (const p of c.conda.added.filter((x) => x.prefix === prefix)) out.push(`  + ${pkg(p)}`);
    for (const p of c.conda.removed.filter((x) => x.prefix === prefix)) out.push(`  - ${pkg(p)}`);
    for (const { a, b } of c.conda.changed.filter((x) => x.a.prefix === prefix)) out.push(`  ~ ${a.name} ${a.version} ${a.build} → ${b.version} ${b.build}`);
  }
  if (!same && !prefixes.length) out.push('', 'conda packages: no difference');
  if (c.files) {
    out.push('', `files: ${c.files.filter((f) => f.change === 'added').length} added, ${c.files.filter((f) => f.change === 'removed').length} removed, ${c.files.filter((f) => f.change === 'changed').length} changed`);
    for (const f of c.files) {
      const what = f.change === 'added' ? `+ /${f.path}` : f.change === 'removed' ? `- /${f.path}` : `~ /${f.path}`;
      const detail = f.change === 'changed'
        ? [f.a!.type !== f.b!.type ? `${f.a!.type} → ${f.b!.type}` : '', f.a!.size !== f.b!.size ? `${f.a!.size} → ${f.b!.size} bytes` : '',
            f.a!.mode !== f.b!.mode ? `mode ${f.a!.mode.toString(8)} → ${f.b!.mode.toString(8)}` : '', (f.a!.linkname ?? '') !== (f.b!.linkname ?? '') ? `-> ${f.a!.linkname ?? ''} → ${f.b!.linkname ?? ''}` : '',
            f.a!.uid !== f.b!.uid || f.a!.gid !== f.b!.gid ? `owner ${f.a!.uid}:${f.a!.gid} → ${f.b!.uid}:${f.b!.gid}` : ''].filter(Boolean).join(', ')
        : '';
      out.push(`  ${what}${detail ? `  (${detail})` : ''}`);
    }
  }
  for (const w of c.warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}

/** `docker-envs diff A B`: two images (archives or registry references) compared: layers shared, config, conda packages, files. */
import { existsSync, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readImageArchive } from '../core/archive';
import { spillToTempFile } from '../core/archive/spill.node.js';
import { folderBlobStore } from '../core/cache/blob-store.node.js';
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
  /** for references: registry credentials (user:password), plain http, the blob cache */
  creds?: string;
  insecure?: boolean;
  cache?: string;
}

/** An image archive (file or OCI layout folder), or else a registry reference pulled through the blob cache. */
async function openImage(what: string, opts: DiffOptions): Promise<ImageToCompare> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  if (existsSync(what)) {
    const input = (await stat(what)).isDirectory() ? layoutFolderFromPath(what) : await openAsBlob(what);
    return (await readImageArchive(input, { ...(platform ? { platform } : {}), spill: spillToTempFile })).images[0];
  }
  const creds = opts.creds ? parseCreds(opts.creds) : undefined;
  const client = new RegistryClient({ credentials: () => creds, ...(opts.insecure ? { insecure: () => true } : {}) });
  const store = folderBlobStore(join(opts.cache ?? defaultCacheDir(), 'blobs'));
  const pulled = await pullImage(client, what, { store, ...(platform ? { platform } : {}) });
  return { image: pulled.image, tags: [what], manifestDigest: pulled.manifestDigest, platform: pulled.platform };
}

/** Compares two images: each an archive (its first image, or --platform's) or a registry reference. */
export async function diffPaths(a: string, b: string, opts: DiffOptions = {}): Promise<ImageComparison> {
  const [ia, ib] = [await openImage(a, opts), await openImage(b, opts)];
  return compareImages(ia, ib, { files: opts.files === true });
}

const short = (d: string) => d.slice(7, 19);
const pkg = (p: ComparedPackage) => `${p.name} ${p.version} ${p.build}`;
const layerLine = (l: ComparedLayer) => `    ${short(l.diffId)}  ${formatBytes(l.size).padStart(9)}  ${l.createdBy ?? ''}`.trimEnd();

/** The comparison as text. */
export function renderDiff(c: ImageComparison, names: [string, string]): string {
  const out: string[] = [];
  for (const [side, img, name] of [['A', c.a, names[0]], ['B', c.b, names[1]]] as const) {
    out.push(`${side}  ${name}  ${img.tags[0] ?? '(untagged)'}  ${img.manifestDigest ?? `config ${img.configDigest}`}  (${img.layers} layers)`);
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

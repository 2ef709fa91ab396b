/** `docker-envs diff A B`: two images (archives or registry references) compared: layers shared, config, conda packages, files. */
import { CoreError } from '../core/errors';
import { compareImages, type ComparedLayer, type ComparedPackage, type ImageComparison, type ImageToCompare } from '../core/inspect/compare';
import { formatBytes } from '../core/inspect/format';
import { openImageArg } from './open-image';

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

/** One side of the comparison: an archive or layout folder on disk (the image `want` names), or a registry reference. */
async function openSide(what: string, opts: DiffOptions, want: string | undefined, notes: string[]): Promise<ImageToCompare> {
  const opened = await openImageArg(what, { platform: opts.platform, creds: opts.creds, insecure: opts.insecure, cache: opts.cache, imageHint: '--image', ...(want ? { image: want } : {}) });
  notes.push(...opened.warnings);
  return { image: opened.image, tags: opened.source === 'registry' ? [what] : opened.tags, manifestDigest: opened.manifestDigest, platform: opened.platform };
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
  const ia = await openSide(a, opts, picks[0], notes);
  const ib = await openSide(b, opts, picks[1] ?? picks[0], notes);
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

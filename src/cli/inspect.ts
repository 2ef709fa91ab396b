import { readImageArchive } from '../core/archive';
import { spillToTempFile } from '../core/archive/spill.node.js';
import { summarizeArchive, type ArchiveSummary, type ImageSummary } from '../core/inspect';
import type { LayerFile } from '../core/inspect';
import { formatPlatform } from '../core/oci';
import { formatBytes, formatMode, formatTable, truncate } from '../core/inspect/format';
import { condaPackagesOf, type ComparedPackage } from '../core/inspect/compare';
import { CoreError } from '../core/errors';
import { openImagePath } from '../core/image/open.node.js';
import { parsePlatform } from './open-image';

/** Options of `docker-envs inspect`. */
export interface InspectOptions {
  json: boolean;
  /** 0-based index (bottom first) of the layer whose files to list */
  layer?: number;
  merged: boolean;
  platform?: string;
}

/** Reads an image archive (file or OCI layout folder) and summarises it. */
export async function inspectPath(path: string, opts: Omit<InspectOptions, 'json'>): Promise<ArchiveSummary> {
  const input = await openImagePath(path);
  if (!input) throw new CoreError('invalid-argument', `${path}: no such file or folder (inspect reads an image tarball or an OCI layout folder)`);
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const archive = await readImageArchive(input, { platform, spill: spillToTempFile });
  // the merged view is needed for the conda packages (records later layers did not remove); kept only with --merged
  const summary: ArchiveSummary = await summarizeArchive(archive, { layerFiles: opts.layer, merged: true });
  for (const [i, img] of summary.images.entries()) {
    const { packages, broken } = await condaPackagesOf(archive.images[i], img.merged ?? []);
    (img as InspectedImage).conda = packages;
    for (const p of broken) img.warnings.push(`${p} is not a readable conda-meta record`);
    if (!opts.merged) delete img.merged;
  }
  if (opts.layer !== undefined) {
    for (const img of summary.images) {
      if (opts.layer < 0 || opts.layer >= img.layers.length) {
        throw new Error(`--layer ${opts.layer} is out of range: ${img.tags[0] ?? 'the image'} has ${img.layers.length} layers (0-${img.layers.length - 1})`);
      }
    }
  }
  return summary;
}

function fileRows(files: LayerFile[]): string[][] {
  return files.map((f) => [
    formatMode(f.type, f.mode),
    `${f.uid}:${f.gid}`,
    f.type === 'directory' ? '-' : String(f.size),
    (f.whiteout ? `[deleted] ${f.whiteoutTarget}` : f.path || './') +
      (f.linkname ? (f.type === 'hardlink' ? ` link to ${f.linkname}` : ` -> ${f.linkname}`) : '') +
      (f.danger ? `  !! ${f.danger}` : ''),
  ]);
}

/** An image as `inspect` reports it: the summary plus the conda packages found in it. */
export type InspectedImage = ImageSummary & { conda?: ComparedPackage[] };

function renderImage(img: InspectedImage, opts: InspectOptions): string {
  const out: string[] = [];
  const c = img.config.config ?? {};
  out.push(`Image ${img.tags.length ? img.tags.join(', ') : '<untagged>'}`);
  out.push(`  ID:          ${img.configDigest}`);
  if (img.manifestDigest) out.push(`  Manifest:    ${img.manifestDigest}`);
  out.push(`  Platform:    ${formatPlatform(img.config)}`);
  if (img.config.created) out.push(`  Created:     ${img.config.created}`);
  if (c.User) out.push(`  User:        ${c.User}`);
  if (c.WorkingDir) out.push(`  WorkingDir:  ${c.WorkingDir}`);
  if (c.Entrypoint?.length) out.push(`  Entrypoint:  ${JSON.stringify(c.Entrypoint)}`);
  if (c.Cmd?.length) out.push(`  Cmd:         ${JSON.stringify(c.Cmd)}`);
  for (const e of c.Env ?? []) out.push(`  Env:         ${e}`);
  for (const [k, v] of Object.entries(c.Labels ?? {})) out.push(`  Label:       ${k}=${v}`);
  out.push('');
  out.push(formatTable(
    ['#', 'DIFF ID', 'SIZE', 'FILES', 'WASTED', 'CREATED BY'],
    img.layers.map((l) => [
      String(l.index), l.diffId.slice(7, 19), formatBytes(l.uncompressedSize), String(l.entries),
      l.wastedBytes ? formatBytes(l.wastedBytes) : '-', truncate((l.createdBy ?? '').replace(/\s+/g, ' '), 70),
    ]),
  ));
  out.push('');
  out.push(`  Total ${formatBytes(img.totalBytes)} in files, wasted ${formatBytes(img.wastedBytes)}, efficiency ${(img.efficiency * 100).toFixed(1)} %`);
  for (const prefix of [...new Set((img.conda ?? []).map((p) => p.prefix))]) {
    const pkgs = img.conda!.filter((p) => p.prefix === prefix);
    out.push('', `Conda packages in /${prefix} (${pkgs.length}):`);
    out.push(formatTable(['NAME', 'VERSION', 'BUILD', 'CHANNEL'], pkgs.map((p) => [p.name, p.version, p.build, p.channel ?? ''])));
  }
  for (const w of img.warnings) out.push(`  warning: ${w}`);
  if (opts.layer !== undefined) {
    out.push('', `Layer ${opts.layer} (${img.layers[opts.layer].diffId}):`);
    out.push(formatTable(['MODE', 'OWNER', 'SIZE', 'PATH'], fileRows(img.layers[opts.layer].files ?? [])));
  }
  if (opts.merged && img.merged) {
    out.push('', 'Merged filesystem:');
    out.push(formatTable(['MODE', 'OWNER', 'SIZE', 'PATH'], fileRows(img.merged)));
  }
  return out.join('\n');
}

/** Renders a summary as text tables for people. */
export function renderSummary(s: ArchiveSummary, opts: InspectOptions): string {
  const head = `Archive: ${s.dialect}${s.outerCompression !== 'none' ? ` (${s.outerCompression}-wrapped)` : ''}, ${s.images.length} image${s.images.length === 1 ? '' : 's'}`;
  const warn = s.warnings.map((w) => `warning: ${w}`);
  return [head, ...warn, '', ...s.images.map((i) => renderImage(i, opts))].join('\n') + '\n';
}

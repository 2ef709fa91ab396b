/**
 * Builds images with many small layers, for tests of layer-count limits and of how many files a reader
 * holds open: a `docker save`-shaped tar (manifest.json + config + one `<n>/layer.tar` each), or an OCI
 * layout folder (one blob file per layer). Each layer is a one-file tar, gzip-compressed when asked (then
 * a reader must hash every layer blob to know its digest).
 * CLI: `node --import tsx src/test-support/many-layers.ts COUNT (archive|folder) OUT [--gzip]`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarBytes } from '../core/tar';

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

interface Layer { tar: Uint8Array; blob: Uint8Array; diffId: string; digest: string }

function layers(count: number, gzip: boolean): Layer[] {
  return Array.from({ length: count }, (_, i) => {
    const tar = tarBytes([{ name: `f${i}`, type: 'file', mode: 0o644, mtime: 0, body: new TextEncoder().encode(`${i}\n`) }]);
    const blob = gzip ? new Uint8Array(gzipSync(tar)) : tar;
    return { tar, blob, diffId: sha(tar), digest: sha(blob) };
  });
}

function config(ls: Layer[]): Uint8Array {
  return json({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: ls.map((l) => l.diffId) } });
}

/** A docker save tar (legacy layout: `<n>/layer.tar`) of one image with `count` layers. */
export function manyLayerArchive(count: number, opts: { gzip?: boolean } = {}): Uint8Array {
  const ls = layers(count, opts.gzip ?? false);
  const cfg = config(ls);
  const cfgName = `${sha(cfg).slice(7)}.json`;
  const manifest = json([{ Config: cfgName, RepoTags: ['many:layers'], Layers: ls.map((_, i) => `${i}/layer.tar`) }]);
  return tarBytes([
    { name: 'manifest.json', type: 'file', mode: 0o644, mtime: 0, body: manifest },
    { name: cfgName, type: 'file', mode: 0o644, mtime: 0, body: cfg },
    ...ls.map((l, i) => ({ name: `${i}/layer.tar`, type: 'file' as const, mode: 0o644, mtime: 0, body: l.blob })),
  ]);
}

/** Writes an OCI layout folder at `dir` holding one image with `count` layers. */
export function writeManyLayerFolder(dir: string, count: number, opts: { gzip?: boolean } = {}): void {
  const gzip = opts.gzip ?? false;
  const ls = layers(count, gzip);
  const cfg = config(ls);
  const manifest = json({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.byteLength },
    layers: ls.map((l) => ({ mediaType: `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`, digest: l.digest, size: l.blob.byteLength })),
  });
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Uint8Array): void => writeFileSync(join(blobs, sha(b).slice(7)), b);
  for (const l of ls) put(l.blob);
  put(cfg);
  put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), json({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.byteLength, annotations: { 'org.opencontainers.image.ref.name': 'many:layers' } }],
  }));
}

if (process.argv[1]?.endsWith('many-layers.ts')) {
  const [count, kind, out] = process.argv.slice(2);
  const gzip = process.argv.includes('--gzip');
  if (kind === 'folder') writeManyLayerFolder(out, Number(count), { gzip });
  else writeFileSync(out, manyLayerArchive(Number(count), { gzip }));
}

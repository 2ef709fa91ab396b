/**
 * The registry test images, built from Debian packages and pushed once into a seed registry whose storage is
 * cached in `.cache/harness/registry-seed/` (keyed by the recipe and the digests of every input), then copied
 * into each registry per run (registry.ts):
 *   test/busybox:amd64, :arm64           Docker v2s2, gzip (busybox-static amd64; arm64 from Debian's arm64 .deb)
 *   test/busybox:amd64-oci, :arm64-oci   OCI manifests of the same images
 *   test/busybox:list                    Docker manifest list (amd64 + arm64 v2s2)
 *   test/busybox:index                   OCI index (amd64 + arm64 OCI manifests)
 *   test/busybox:zstd                    OCI manifest, zstd layer (the zstd CLI, pushed over HTTP)
 *   test/debian:bookworm-minbase         Docker v2s2, `debootstrap --variant=minbase` rootfs (debian.ts)
 * Images are written by the project's archive writer (deterministic), pushed with skopeo; the list and the
 * index are composed here and PUT over HTTP.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, openAsBlob, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, setConfig } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { busyboxRootfs } from './busybox';
import { busyboxArm64Rootfs } from './busybox-arm64';
import { debianMinbaseRootfs } from './debian';
import { startRegistry } from './registry-server';
import { cacheDir, runCapture } from './util';

/** Bump when the image recipe changes, so the seeded storage is rebuilt. */
const RECIPE = 3;

/** One seeded image. */
export interface HarnessImage {
  /** `repo:tag`, to prefix with a registry host */
  ref: string;
  /** manifest media type as pushed */
  mediaType: string;
  /** platforms it serves (one for a manifest, several for a list/index) */
  platforms: string[];
  /** layer compression of its manifest(s) */
  compression: 'gzip' | 'zstd';
}

/** The seeded images by name (debian is absent when debootstrap could not run). */
export type HarnessImages = Record<string, HarnessImage>;

const v2s2 = MediaTypes.dockerManifest;
const oci = MediaTypes.ociManifest;

/** The images every registry serves, minus debian when it could not be built. */
export function harnessImageList(withDebian: boolean): HarnessImages {
  const imgs: HarnessImages = {
    busyboxAmd64: { ref: 'test/busybox:amd64', mediaType: v2s2, platforms: ['linux/amd64'], compression: 'gzip' },
    busyboxArm64: { ref: 'test/busybox:arm64', mediaType: v2s2, platforms: ['linux/arm64'], compression: 'gzip' },
    busyboxAmd64Oci: { ref: 'test/busybox:amd64-oci', mediaType: oci, platforms: ['linux/amd64'], compression: 'gzip' },
    busyboxArm64Oci: { ref: 'test/busybox:arm64-oci', mediaType: oci, platforms: ['linux/arm64'], compression: 'gzip' },
    busyboxList: { ref: 'test/busybox:list', mediaType: MediaTypes.dockerManifestList, platforms: ['linux/amd64', 'linux/arm64'], compression: 'gzip' },
    busyboxIndex: { ref: 'test/busybox:index', mediaType: MediaTypes.ociIndex, platforms: ['linux/amd64', 'linux/arm64'], compression: 'gzip' },
    busyboxZstd: { ref: 'test/busybox:zstd', mediaType: oci, platforms: ['linux/amd64'], compression: 'zstd' },
  };
  if (withDebian) imgs.debianMinbase = { ref: 'test/debian:bookworm-minbase', mediaType: v2s2, platforms: ['linux/amd64'], compression: 'gzip' };
  return imgs;
}

/** Writes a one-layer image (rootfs tar, CMD /bin/sh) as a docker-archive with the project's writer. */
async function writeRootfsImage(rootfs: string, architecture: string, out: string, createdBy: string): Promise<void> {
  const base = emptyImage({ platform: { os: 'linux', architecture } });
  const image = setConfig(appendLayers(base, [{
    layer: layerFromBlob(await openAsBlob(rootfs), { mediaType: MediaTypes.ociLayer }), history: { created_by: createdBy },
  }]), { cmd: ['/bin/sh'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  await writeDockerArchiveTo([{ image, tags: [`harness/${architecture}:latest`] }], Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
}

function skopeo(...args: string[]): void {
  const r = runCapture('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...args]);
  if (r.code !== 0) throw new Error(`skopeo copy ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** GETs a manifest and returns its descriptor (digest from the bytes, as the registry stores them). */
async function descriptorOf(host: string, repo: string, tag: string, accept: string, platform: { os: string; architecture: string }) {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { headers: { accept } });
  if (!r.ok) throw new Error(`GET ${repo}:${tag} manifest: ${r.status}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const digest = r.headers.get('docker-content-digest');
  if (!digest) throw new Error(`GET ${repo}:${tag}: no Docker-Content-Digest`);
  return { mediaType: r.headers.get('content-type')!, digest, size: bytes.byteLength, platform };
}

async function putManifest(host: string, repo: string, tag: string, mediaType: string, body: unknown): Promise<void> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: JSON.stringify(body, null, 2) });
  if (r.status !== 201) throw new Error(`PUT ${repo}:${tag} (${mediaType}): ${r.status} ${await r.text()}`);
}

/**
 * test/busybox:zstd: the amd64 OCI image with its layer compressed by the zstd CLI, uploaded and PUT over
 * HTTP. (skopeo 1.9 with --dest-compress-format zstd silently reuses the gzip blob its blob-info cache knows
 * for the same diff_id, so it cannot make this image once the gzip one exists.)
 */
async function pushZstdVariant(h: string, rootfs: string, work: string): Promise<void> {
  const zst = join(work, 'layer.tar.zst');
  const z = runCapture('zstd', ['-q', '-f', '-10', '--no-progress', rootfs, '-o', zst]);
  if (z.code !== 0) throw new Error(`zstd failed: ${z.stderr.trim()}`);
  const bytes = readFileSync(zst);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${h}/v2/test/busybox/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location') ?? '', `http://${h}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  if (put.status !== 201) throw new Error(`zstd layer upload: ${put.status} ${await put.text()}`);
  const base = await (await fetch(`http://${h}/v2/test/busybox/manifests/amd64-oci`, { headers: { accept: oci } })).json() as { config: unknown };
  await putManifest(h, 'test/busybox', 'zstd', oci, {
    schemaVersion: 2, mediaType: oci, config: base.config,
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest, size: bytes.byteLength }],
  });
}

/** The seeded storage: a registry `data` dir holding every image. */
export interface SeededStorage { dataDir: string; images: HarnessImages; cached: boolean; ms: number }

/**
 * Builds (or reuses) the seeded registry storage. Inputs are built in parallel (debootstrap is the slow one,
 * cached in debian.ts); a failed debootstrap (no mirror reachable) leaves the debian image out.
 */
export async function seedRegistryStorage(opts: { log?: (l: string) => void } = {}): Promise<SeededStorage> {
  const log = opts.log ?? (() => {});
  const start = performance.now();
  const [amd64, arm64, debian] = await Promise.all([
    busyboxRootfs(),
    busyboxArm64Rootfs(),
    debianMinbaseRootfs({ log }).catch((err: unknown) => { log(`debian minbase left out: ${err instanceof Error ? err.message : String(err)}`); return undefined; }),
  ]);
  const key = `r${RECIPE}-${amd64.sha256.slice(0, 12)}-${arm64.sha256.slice(0, 12)}-${debian ? debian.sha256.slice(0, 12) : 'nodebian'}`;
  const seedRoot = join(cacheDir, 'registry-seed');
  const dataDir = join(seedRoot, key, 'data');
  const images = harnessImageList(!!debian);
  if (existsSync(join(seedRoot, key, 'complete'))) return { dataDir, images, cached: true, ms: performance.now() - start };

  // other keys' storage is stale (another recipe or input); a concurrent run's `.tmp.<pid>` is left alone
  if (existsSync(seedRoot)) for (const d of readdirSync(seedRoot)) if (!d.includes('.tmp.')) rmSync(join(seedRoot, d), { recursive: true, force: true });
  const work = join(seedRoot, `${key}.tmp.${process.pid}`);
  mkdirSync(work, { recursive: true });
  const reg = await startRegistry({ mode: 'open', root: work });
  try {
    const h = reg.host;
    const archives: Record<string, string> = { amd64: join(work, 'amd64.tar'), arm64: join(work, 'arm64.tar') };
    await writeRootfsImage(amd64.path, 'amd64', archives.amd64, 'busybox-static (Debian) rootfs');
    await writeRootfsImage(arm64.path, 'arm64', archives.arm64, 'busybox-static:arm64 (Debian) rootfs');
    for (const arch of ['amd64', 'arm64']) {
      skopeo('--format', 'v2s2', `docker-archive:${archives[arch]}`, `docker://${h}/test/busybox:${arch}`);
      skopeo('--format', 'oci', `docker-archive:${archives[arch]}`, `docker://${h}/test/busybox:${arch}-oci`);
    }
    await pushZstdVariant(h, amd64.path, work);
    const plat = (architecture: string) => ({ os: 'linux', architecture });
    await putManifest(h, 'test/busybox', 'list', MediaTypes.dockerManifestList, {
      schemaVersion: 2, mediaType: MediaTypes.dockerManifestList,
      manifests: [await descriptorOf(h, 'test/busybox', 'amd64', v2s2, plat('amd64')), await descriptorOf(h, 'test/busybox', 'arm64', v2s2, plat('arm64'))],
    });
    await putManifest(h, 'test/busybox', 'index', MediaTypes.ociIndex, {
      schemaVersion: 2, mediaType: MediaTypes.ociIndex,
      manifests: [await descriptorOf(h, 'test/busybox', 'amd64-oci', oci, plat('amd64')), await descriptorOf(h, 'test/busybox', 'arm64-oci', oci, plat('arm64'))],
    });
    if (debian) {
      const tar = join(work, 'debian.tar');
      await writeRootfsImage(debian.path, 'amd64', tar, 'debootstrap --variant=minbase bookworm');
      skopeo('--format', 'v2s2', `docker-archive:${tar}`, `docker://${h}/test/debian:bookworm-minbase`);
    }
  } finally {
    await reg.stop();
  }
  if (!existsSync(join(seedRoot, key, 'complete'))) {
    rmSync(join(seedRoot, key), { recursive: true, force: true });
    mkdirSync(join(seedRoot, key), { recursive: true });
    renameSync(join(work, 'data'), dataDir);
    writeFileSync(join(seedRoot, key, 'complete'), `${JSON.stringify(images)}\n`);
  }
  rmSync(work, { recursive: true, force: true });
  log(`seeded ${Object.keys(images).length} images in ${Math.round(performance.now() - start)} ms`);
  return { dataDir, images, cached: false, ms: performance.now() - start };
}


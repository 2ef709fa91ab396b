/**
 * Archives the project writes, checked by the real peers: dockerd (`docker load`, `docker run`,
 * `docker export`), skopeo, umoci and the OCI schemas. The image is the shared sample recipe.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive, writeDockerArchiveTo } from '../../src/core/archive';
import { validate, type Image } from '../../src/core/image';
import { folderFromPath } from '../../src/core/image/folder.node.js';
import { summarizeArchive, type MergedFile } from '../../src/core/inspect';
import { readTar } from '../../src/core/tar';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { ociValidators } from '../../src/test-support/oci-schemas';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';
import { buildSampleImage, SAMPLE_FOLDER, SAMPLE_TAG } from '../recipes/sample-image';

const TAG = SAMPLE_TAG;
const EPOCH = 1_700_000_000;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { env: dockerEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}
function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

describe.skipIf(!haveDocker || !busyboxRootfsTar)('archives the project writes, on real peers', () => {
  let tmp: string;
  let out: string;
  let image: Image;

  async function write(img: Image, path: string): Promise<void> {
    await writeDockerArchiveTo([{ image: img, tags: [TAG] }], Writable.toWeb(createWriteStream(path)) as WritableStream<Uint8Array>, { mtime: EPOCH });
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'docker-envs-written-'));
    const folder = join(tmp, 'folder');
    for (const [p, content] of Object.entries(SAMPLE_FOLDER)) {
      mkdirSync(dirname(join(folder, p)), { recursive: true });
      writeFileSync(join(folder, p), content);
    }
    image = buildSampleImage({ rootfs: await openAsBlob(busyboxRootfsTar!), folder: folderFromPath(folder), epoch: EPOCH });
    out = join(tmp, 'sample.tar');
    await write(image, out);
  });
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('is a valid image: every digest, size and diff_id checks out, history matches layers', async () => {
    const layers = await validate(image);
    expect(layers).toHaveLength(3);
    const cfg = await image.config();
    expect(cfg.history!.filter((h) => !h.empty_layer)).toHaveLength(3);
    expect(cfg.created).toBe('2023-11-14T22:13:20Z');
  });

  it('writes the same bytes twice', async () => {
    const again = join(tmp, 'again.tar');
    await write(image, again);
    expect(sha256File(again)).toBe(sha256File(out));
  });

  it('docker load accepts it and docker run --network none runs the script', () => {
    expect(docker('load', '-i', out)).toContain(`Loaded image: ${TAG}`);
    const run = docker('run', '--rm', '--network', 'none', TAG);
    expect(run).toBe('hello from docker-envs, GREETING=world, cwd=/app\na file from a folder\n');
    // the whiteout in the files layer removed /bin/false; the removed junk layer left nothing behind
    const probe = docker('run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c',
      'test -e /bin/false && echo false-present; test -e /junk.txt && echo junk-present; ls /app/data; echo done');
    expect(probe).toBe('message.txt\nnested\ndone\n');
    const inspect = JSON.parse(docker('image', 'inspect', TAG))[0];
    expect(inspect.Config.Env).toContain('GREETING=world');
    expect(inspect.Config.Labels['org.opencontainers.image.title']).toBe('docker-envs sample');
    expect(inspect.Config.WorkingDir).toBe('/app');
  });

  it('docker-envs inspect agrees with docker, and --merged with docker export', async () => {
    const archive = await readImageArchive(await openAsBlob(out));
    const s = await summarizeArchive(archive, { merged: true });
    const img = s.images[0];
    const di = JSON.parse(docker('image', 'inspect', TAG))[0];
    expect(img.configDigest).toBe(di.Id);
    expect(img.layers.map((l) => l.diffId)).toEqual(di.RootFS.Layers);
    expect(img.tags).toEqual([TAG]);

    const id = docker('create', '--network', 'none', TAG).trim();
    try {
      const exported = await listExport(id);
      const ours = new Map(img.merged!.map((f) => [f.path, f]));
      const runtime = /^(\.dockerenv|dev(\/.*)?|proc|sys|etc\/(hosts|hostname|resolv\.conf|mtab))$/;
      const theirs = [...exported.keys()].filter((p) => !runtime.test(p));
      expect(theirs.length).toBeGreaterThan(250); // busybox and its applets, the script, the folder
      expect(theirs).toContain('app/data/nested/deep/é-unicode name.txt');
      expect([...ours.keys()].filter((p) => !runtime.test(p)).sort()).toEqual(theirs.sort());
      for (const p of theirs) {
        const a = ours.get(p)!;
        const b = exported.get(p)!;
        expect(key(a), p).toEqual(key(b));
      }
    } finally {
      docker('rm', id);
    }
  });

  it('skopeo copies it (as docker-archive and as oci-archive) and umoci unpacks it', () => {
    const oci1 = join(tmp, 'oci1');
    const oci2 = join(tmp, 'oci2');
    execFileSync('skopeo', ['copy', '-q', `docker-archive:${out}`, `oci:${oci1}:sample`]);
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${out}`, `oci:${oci2}:sample`]);
    const bundle = join(tmp, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${oci2}:sample`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    expect(readFileSync(join(rootfs, 'usr/local/bin/hello'), 'utf8')).toContain('hello from docker-envs');
    expect(readFileSync(join(rootfs, 'app/data/message.txt'), 'utf8')).toBe('a file from a folder\n');
    expect(existsSync(join(rootfs, 'app/data/skip.log'))).toBe(false);
    expect(existsSync(join(rootfs, 'app/node_modules'))).toBe(false);
    expect(existsSync(join(rootfs, 'bin/false'))).toBe(false);
    expect(existsSync(join(rootfs, 'junk.txt'))).toBe(false);
  });

  it.skipIf(!haveFixtures)('its OCI JSON validates against the image-spec schemas', async () => {
    const v = ociValidators();
    const archive = await readImageArchive(await openAsBlob(out));
    const index = JSON.parse(new TextDecoder().decode(await archive.readMember('index.json')));
    const layout = JSON.parse(new TextDecoder().decode(await archive.readMember('oci-layout')));
    const manifest = await archive.images[0].image.manifest();
    const config = await archive.images[0].image.config();
    for (const [name, fn, doc] of [['index', v.index, index], ['layout', v.layout, layout], ['manifest', v.manifest, manifest], ['config', v.config, config]] as const) {
      expect(fn(doc), `${name}: ${JSON.stringify(fn.errors)}`).toBe(true);
    }
  });
});

describe.skipIf(!haveDocker || !haveFixtures)('--merged of fixture images agrees with docker export', () => {
  const G = 'go-containerregistry/pkg/v1';
  it.each([
    `${G}/mutate/testdata/whiteout_image.tar`,
    `${G}/mutate/testdata/overwritten_file.tar`,
    `${G}/tarball/testdata/test_image_1.tar`,
    'containers-image/docker/archive/fixtures/almostempty.tar',
  ])('%s', async (rel) => {
    const path = fixture(rel);
    const s = await summarizeArchive(await readImageArchive(await openAsBlob(path)), { merged: true });
    const loaded = docker('load', '-i', path);
    const ref = s.images[0].tags[0] ?? s.images[0].configDigest;
    expect(loaded).toMatch(/Loaded image/);
    const id = docker('create', '--network', 'none', ref, '/nothing').trim();
    try {
      const exported = await listExport(id);
      const runtime = /^(\.dockerenv|dev(\/.*)?|proc|sys|etc(\/(hosts|hostname|resolv\.conf|mtab))?)$/;
      const ours = new Map(s.images[0].merged!.map((f) => [f.path, f]));
      const theirs = [...exported.keys()].filter((p) => !runtime.test(p)).sort();
      expect([...ours.keys()].filter((p) => !runtime.test(p)).sort()).toEqual(theirs);
      for (const p of theirs) expect(key(ours.get(p)!), p).toEqual(key(exported.get(p)!));
    } finally {
      docker('rm', id);
      spawnSync('docker', ['rmi', '-f', ref], { env: dockerEnv() });
    }
  });
});

type Key = [string, number, number, number, number, string];
function key(f: Pick<MergedFile, 'type' | 'mode' | 'uid' | 'gid' | 'size' | 'linkname'>): Key {
  // docker export writes the second name of a hardlinked file as a hardlink: compare both as files
  const type = f.type === 'hardlink' ? 'file' : f.type;
  // Linux symlinks have no mode of their own (always 0777 on disk), whatever the layer's header said
  return [type, type === 'symlink' ? 0o777 : f.mode & 0o7777, f.uid, f.gid, type === 'file' && f.type !== 'hardlink' ? f.size : -1, f.type === 'symlink' ? f.linkname ?? '' : ''];
}

/** The entries of `docker export` of a container, keyed by normalised path. */
async function listExport(id: string): Promise<Map<string, Key extends never ? never : MergedFile>> {
  const child = spawnSync('docker', ['export', id], { env: dockerEnv(), maxBuffer: 1 << 30 });
  if (child.status !== 0) throw new Error(`docker export failed: ${child.stderr}`);
  const m = new Map<string, MergedFile>();
  const stream = Readable.toWeb(Readable.from([child.stdout])) as ReadableStream<Uint8Array>;
  for await (const { entry } of readTar(stream)) {
    const path = entry.name.replace(/^\.?\//, '').replace(/\/$/, '');
    if (!path) continue;
    m.set(path, { path, rawName: entry.name, type: entry.type, size: entry.size, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, linkname: entry.linkname, layer: -1 });
  }
  return m;
}

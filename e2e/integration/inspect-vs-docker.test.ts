/**
 * `inspect` against Docker's own view. The merged filesystem (`inspect --merged` and the inspector's merged
 * view) of images built by the harness daemon (legacy builder) and saved with `docker save`, or written by the
 * project's writer and loaded, compared with `docker create` + `docker export` of the same image, entry by
 * entry (type, mode, size, content); `--platform` against the platform Docker loads; an OCI layout Docker
 * cannot load (an attestation beside the image) against skopeo's reading of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { readImageArchive, writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { InspectSession, readLayerFiles, summarizeArchive } from '../../src/core/inspect';
import { MediaTypes } from '../../src/core/oci';
import { readTar, tarBytes, type TarWriteEntry } from '../../src/core/tar';
import { layoutWithAttestation, onePlatformOfTwo, writtenArchive } from '../../src/test-support/odd-archives';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const BASE = 'docker-envs-merged/busybox:base';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { env: dockerEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** One path as a filesystem shows it: a hardlink names its target; a file carries its content. */
interface Seen { type: string; mode: string; size: number; content?: string; linkname?: string }

/** `docker create` + `docker export` of an image: the paths under `prefix`. */
async function dockerView(image: string, tmp: string, prefix: string): Promise<Record<string, Seen>> {
  const id = docker('create', image, '/bin/sh').trim();
  const out = join(tmp, `${id}.tar`);
  try {
    docker('export', '-o', out, id);
  } finally {
    docker('rm', id);
  }
  const seen: Record<string, Seen> = {};
  for await (const { entry, body } of readTar((await openAsBlob(out)).stream())) {
    const path = entry.name.replace(/\/$/, '');
    if (!path.startsWith(prefix)) continue;
    const s: Seen = { type: entry.type, mode: entry.mode.toString(8), size: entry.size };
    if (entry.type === 'file') s.content = await new Response(body).text();
    if (entry.type === 'hardlink') s.linkname = entry.linkname;
    seen[path] = s;
  }
  return seen;
}

describe.skipIf(!haveDocker || !busyboxRootfsTar)('the merged view against docker export', () => {
  let tmp: string;
  const tags: string[] = [];

  /** Builds `lines` on the busybox base with the daemon's legacy builder and saves it. */
  function build(tag: string, lines: string[]): string {
    const ctx = join(tmp, tag.replace(/\W/g, '_'));
    execFileSync('mkdir', ['-p', ctx]);
    writeFileSync(join(ctx, 'Dockerfile'), [`FROM ${BASE}`, ...lines].join('\n') + '\n');
    const r = spawnSync('docker', ['build', '--network', 'none', '-q', '-t', tag, ctx], { env: { ...dockerEnv(), DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker build ${tag}: ${r.stderr}`);
    tags.push(tag);
    const out = join(tmp, `${tag.replace(/\W/g, '_')}.tar`);
    docker('save', '-o', out, tag);
    return out;
  }

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'docker-envs-merged-'));
    docker('import', busyboxRootfsTar!, BASE);
    tags.push(BASE);
  });
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', ...tags.reverse()], { env: dockerEnv() });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a hardlink whose target is later rewritten, chmod\'ed, deleted, hidden by an opaque directory, or which is itself overwritten, stands as Docker shows it', { timeout: 120_000 }, async () => {
    const archive = build('docker-envs-merged/hardlinks:1', [
      // c0 is the control: nothing changes, so the link stays a link
      'RUN for c in c0 c1 c2 c3 c5; do mkdir -p /$c && echo old > /$c/bar && ln /$c/bar /$c/bar-hard; done'
        + ' && mkdir -p /c4/d && echo old > /c4/d/bar && ln /c4/d/bar /c4/bar-hard'
        + ' && mkdir /c6 && echo old > /c6/bar && ln /c6/bar /c6/h1 && ln /c6/bar /c6/h2',
      'RUN echo rewritten > /c1/bar && chmod 4755 /c2/bar && rm /c3/bar && rm -rf /c4/d && mkdir /c4/d && echo other > /c4/d/new'
        + ' && echo overwritten-link > /c5/bar-hard && chmod 600 /c6/bar',
    ]);
    const want = await dockerView('docker-envs-merged/hardlinks:1', tmp, 'c');
    // what Docker shows (a sanity check of the recipe): only the control keeps a hardlink
    expect(want['c0/bar-hard']).toMatchObject({ type: 'hardlink', linkname: 'c0/bar' });
    expect(want['c2/bar-hard']).toEqual({ type: 'file', mode: '644', size: 4, content: 'old\n' });
    // two links that shared the old inode: the first is the file, the second still links to it
    expect(want['c6/h2']).toMatchObject({ type: 'hardlink', linkname: 'c6/h1' });

    const blob = await openAsBlob(archive);
    const ai = (await readImageArchive(blob)).images[0];
    const layers = await ai.image.layers();
    const content = async (layer: number, path: string) => (await readLayerFiles(layers[layer], [path])).get(path)?.text();

    // inspect --merged (the CLI's summary)
    const merged = (await summarizeArchive(await readImageArchive(blob), { merged: true })).images[0].merged!;
    const cli: Record<string, Seen> = {};
    for (const f of merged.filter((x) => x.path.startsWith('c'))) {
      const s: Seen = { type: f.type, mode: f.mode.toString(8), size: f.size };
      if (f.type === 'file') s.content = await content(f.layer, f.path);
      if (f.type === 'hardlink') s.linkname = f.linkname;
      cli[f.path] = s;
    }
    expect(cli).toEqual(want);

    // the inspector's merged view: rows, and a download of each file
    const session = await InspectSession.open(blob, 'hardlinks.tar');
    const rows = (await session.treeRows(0, 'merged', { offset: 0, count: 10_000 })).rows.filter((r) => r.path.startsWith('c'));
    const ui: Record<string, Seen> = {};
    for (const r of rows) {
      const s: Seen = { type: r.type, mode: r.mode.toString(8), size: r.size };
      if (r.type === 'file') s.content = await (await session.readFile(0, r.layer!, r.path)).text();
      if (r.type === 'hardlink') s.linkname = r.linkname;
      ui[r.path] = s;
    }
    expect(ui).toEqual(want);
  });

  it('a root entry "/" at the start of each layer (as kaniko writes) is the root: no danger, no warning, the merged view is Docker\'s', { timeout: 60_000 }, async () => {
    const layer = (entries: TarWriteEntry[]) => ({ layer: layerFromBlob(new Blob([tarBytes(entries) as BlobPart]), { mediaType: MediaTypes.dockerLayer }) });
    const image = appendLayers(emptyImage(), [
      layer([{ name: '/', type: 'directory', mode: 0o755 }, { name: 'k/', type: 'directory', mode: 0o755 }, { name: 'k/a', type: 'file', body: new TextEncoder().encode('a\n') }]),
      layer([{ name: '/', type: 'directory', mode: 0o755 }, { name: 'k/', type: 'directory', mode: 0o755 }, { name: 'k/b', type: 'file', mode: 0o600, body: new TextEncoder().encode('bb\n') }]),
    ]);
    const tag = 'docker-envs-merged/kaniko-root:1';
    const out = join(tmp, 'kaniko-root.tar');
    await writeDockerArchiveTo([{ image, tags: [tag] }], Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
    docker('load', '-i', out);
    tags.push(tag);
    const want = await dockerView(tag, tmp, 'k');

    const archive = await readImageArchive(await openAsBlob(out));
    const summary = (await summarizeArchive(archive, { merged: true, layerFiles: 'all' })).images[0];
    const layers = await archive.images[0].image.layers();
    expect(summary.layers.map((l) => l.dangerous)).toEqual([0, 0]);
    expect(summary.warnings).toEqual([]);
    expect(summary.layers.map((l) => l.files![0])).toMatchObject([{ rawName: '/', path: '' }, { rawName: '/', path: '' }]);
    const got: Record<string, Seen> = {};
    for (const f of summary.merged!.filter((x) => x.path.startsWith('k'))) {
      const s: Seen = { type: f.type, mode: f.mode.toString(8), size: f.size };
      if (f.type === 'file') s.content = await (await readLayerFiles(layers[f.layer], [f.path])).get(f.path)!.text();
      got[f.path] = s;
    }
    expect(got).toEqual(want);

    // the CLI lists the root as ./ and flags nothing
    let text = '';
    expect(await main(['inspect', out, '--layer', '1'], { write: (s: string) => { text += s; } }, { write: () => {} })).toBe(0);
    expect(text).toMatch(/^drwxr-xr-x\s+0:0\s+-\s+\.\/$/m);
    expect(text).not.toMatch(/!!|warning/);
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { write: (x: string) => { out += x; } }, { write: (x: string) => { err += x; } });
    return { code, out, err };
  }

  it.each([['manifest.json only', false], ['an index listing a platform whose blobs are absent', true]])(
    '--platform on a docker archive (%s): the platform Docker loads, else an error naming it', { timeout: 60_000 }, async (_, multi) => {
      const out = join(tmp, `platform-${multi}.tar`);
      writeFileSync(out, new Uint8Array(await (await (multi ? onePlatformOfTwo(true) : writtenArchive({ os: 'linux', architecture: 'amd64' }))).arrayBuffer()));
      docker('load', '-i', out);
      tags.push('example/app:1');
      const [id, platform] = docker('image', 'inspect', '-f', '{{.Id}} {{.Os}}/{{.Architecture}}', 'example/app:1').trim().split(' ');

      const other = await cli('inspect', out, '--platform', 'linux/arm64');
      expect(other.code).not.toBe(0);
      expect(other.err).toContain(`no image for linux/arm64; it holds ${platform}`);
      if (multi) expect(other.err).toContain('its index also lists linux/arm64/v8, whose blobs are not in the archive');
      const same = await cli('inspect', out, '--platform', platform, '--json');
      expect(same.code).toBe(0);
      expect((JSON.parse(same.out) as { images: Array<{ configDigest: string }> }).images.map((i) => i.configDigest)).toEqual([id]);
      docker('rmi', 'example/app:1');
    });

  it('an OCI layout that also holds an attestation with a {} config: the image shows (as skopeo reads it), the attestation is a named warning', { timeout: 60_000 }, async () => {
    const { blob, attDigest } = await layoutWithAttestation();
    const out = join(tmp, 'attested.tar');
    writeFileSync(out, new Uint8Array(await blob.arrayBuffer()));
    const skopeoConfig = execFileSync('skopeo', ['inspect', '--config', '--raw', `oci-archive:${out}:1`]);
    const r = await cli('inspect', out, '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { images: Array<{ config: unknown }>; warnings: string[] };
    expect(summary.images.map((i) => i.config)).toEqual([JSON.parse(skopeoConfig.toString())]);
    expect(summary.warnings).toEqual([expect.stringContaining(`skipped ${attDigest}`)]);
    const text = await cli('inspect', out);
    expect(text.out).toMatch(new RegExp(`^warning: index.json entry 1: skipped ${attDigest}.*not a container image`, 'm'));
  });
});

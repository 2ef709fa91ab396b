/**
 * The merged filesystem the inspector shows, for an image built by the real Docker engine, against
 * `docker export` of that image. The base is busybox written by the project (the harness's rootfs);
 * `docker build` adds deletions, an opaque directory (removed and recreated in one step), a directory
 * removed in one step and recreated in the next, hardlinks and names longer than 100 bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { expect, test } from '@playwright/test';
import { writeDockerArchiveTo } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, setConfig } from '../src/core/image';
import { MediaTypes } from '../src/core/oci';
import { readTar } from '../src/core/tar';
import { collectTreeRows } from './support/tree-rows';

const BASE = 'docker-envs.test/inspector-base:1';
const TAG = 'docker-envs.test/inspector-built:1';
const LONG_DIR = 'd'.repeat(60);
const LONG_NAME = 'n'.repeat(90) + '.txt';
const DOCKERFILE = `FROM ${BASE}
RUN mkdir -p /data/keep /data/opq /data/later && echo a > /data/opq/old1 && echo b > /data/opq/old2 \\
 && echo gone > /data/deleteme && echo x > /data/keep/f && head -c 100000 /dev/zero > /data/big \\
 && echo l > /data/later/old && rm /bin/false
RUN rm /data/deleteme /data/big && rm -rf /data/opq && mkdir /data/opq && echo new > /data/opq/new \\
 && rm -rf /data/later && ln /data/keep/f /data/keep/hard \\
 && mkdir -p /data/${LONG_DIR} && echo long > /data/${LONG_DIR}/${LONG_NAME} && ln /data/${LONG_DIR}/${LONG_NAME} /data/keep/hard-long
RUN mkdir /data/later && echo recreated > /data/later/new
`;

const rootfsTar = process.env.DOCKER_ENVS_BUSYBOX_ROOTFS;
const env = { ...process.env, DOCKER_BUILDKIT: '0' };
const docker = (...args: string[]) => execFileSync('docker', args, { env, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });

/** `docker export` of a container of the image: path → comparable fields. */
async function exportedEntries(image: string): Promise<Map<string, string>> {
  const id = docker('create', '--network', 'none', image, '/nothing').trim();
  try {
    const out = spawnSync('docker', ['export', id], { env, maxBuffer: 1 << 30 });
    const m = new Map<string, string>();
    for await (const { entry } of readTar(Readable.toWeb(Readable.from([out.stdout])) as ReadableStream<Uint8Array>)) {
      const path = entry.name.replace(/^\.?\//, '').replace(/\/$/, '');
      if (path) m.set(path, key(entry.type, entry.mode, entry.uid, entry.gid, entry.size, entry.linkname));
    }
    return m;
  } finally {
    docker('rm', id);
  }
}

/** Fields both sides agree on: hardlinks compare as files (export writes the second name as a link), symlink modes are always 0777. */
function key(type: string, mode: number, uid: number, gid: number, size: number, linkname: string): string {
  const t = type === 'hardlink' ? 'file' : type;
  return JSON.stringify([t, t === 'symlink' ? 0o777 : mode & 0o7777, uid, gid, type === 'file' ? size : -1, type === 'symlink' ? linkname : '']);
}

test('the merged view of a docker-built image matches docker export', async ({ page }) => {
  test.skip(!process.env.DOCKER_HOST || !rootfsTar, 'needs the harness dockerd and busybox rootfs (npm test)');
  test.setTimeout(240_000);
  const tmp = mkdtempSync(join(tmpdir(), 'docker-envs-inspector-'));
  try {
    // the base, written by the project's own writer and loaded into the engine
    const base = setConfig(appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(rootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox rootfs' } }]),
      { cmd: ['/bin/sh'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const baseTar = join(tmp, 'base.tar');
    await writeDockerArchiveTo([{ image: base, tags: [BASE] }], Writable.toWeb(createWriteStream(baseTar)) as WritableStream<Uint8Array>);
    docker('load', '-i', baseTar);
    writeFileSync(join(tmp, 'Dockerfile'), DOCKERFILE);
    docker('build', '-q', '--network', 'none', '-t', TAG, tmp);
    const saved = join(tmp, 'built.tar');
    docker('save', '-o', saved, TAG);

    await page.goto('/');
    await page.getByTestId('archive-input').setInputFiles(saved);
    await expect(page.locator('body')).toHaveAttribute('data-inspector', 'indexed', { timeout: 60_000 });
    await expect(page.getByTestId('image-tags')).toHaveText(TAG);
    const inspect = JSON.parse(docker('image', 'inspect', TAG))[0] as { Id: string; RootFS: { Layers: string[] } };
    await expect(page.getByTestId('image-config-digest')).toHaveText(inspect.Id);
    for (const [i, d] of inspect.RootFS.Layers.entries()) await expect(page.getByTestId(`layer-diffid-${i}`)).toHaveText(d);

    // the layer of the second RUN: deletions shown as such, the opaque marker, long names
    await page.getByTestId('layer-select').selectOption('2');
    const layerRows = await collectTreeRows(page);
    const deleted = layerRows.filter((r) => r.text.includes('deleted')).map((r) => r.path).sort();
    expect(deleted).toEqual(['data/.wh.big', 'data/.wh.deleteme', 'data/.wh.later']);
    expect(layerRows.map((r) => r.path)).toContain('data/opq/.wh..wh..opq');
    expect(layerRows.map((r) => r.path)).toContain(`data/${LONG_DIR}/${LONG_NAME}`);

    await page.getByRole('tab', { name: 'Merged filesystem' }).click();
    const shown = await collectTreeRows(page);
    const ours = new Map(shown.map((r) => [r.path, key(r.type, r.mode, r.uid, r.gid, r.size, r.linkname)]));
    const theirs = await exportedEntries(TAG);
    const runtime = /^(\.dockerenv|dev(\/.*)?|proc|sys|etc(\/(hosts|hostname|resolv\.conf|mtab))?)$/;
    const a = [...ours.keys()].filter((p) => !runtime.test(p)).sort();
    const b = [...theirs.keys()].filter((p) => !runtime.test(p)).sort();
    expect(b.length).toBeGreaterThan(250);
    expect(b).toEqual(expect.arrayContaining(['data/opq/new', 'data/later/new', 'data/keep/hard', `data/${LONG_DIR}/${LONG_NAME}`]));
    expect(b).not.toContain('data/opq/old1');
    expect(b).not.toContain('bin/false');
    expect(a).toEqual(b);
    for (const p of b) expect(ours.get(p), p).toBe(theirs.get(p));
    // wasted space: /data/big (100000 bytes) and the small deleted files are counted
    await expect(page.getByTestId('efficiency')).toContainText('wasted');
  } finally {
    spawnSync('docker', ['rmi', '-f', TAG, BASE], { env });
    rmSync(tmp, { recursive: true, force: true });
  }
});

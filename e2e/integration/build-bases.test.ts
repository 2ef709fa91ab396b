/**
 * Every kind of base through the one resolver: `build -b` given the same busybox base as a docker save tar,
 * as an OCI layout folder (written by skopeo) and as a reference in a real registry (pushed by skopeo) gives
 * the same image ID each time, and each result runs in dockerd. openImage on the reference gives the manifest
 * skopeo sees; a platform the registry lacks is platform-not-found; push copies a reference by mounting.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { openImage } from '../../src/core/image/open';
import { MediaTypes } from '../../src/core/oci';
import { main } from '../../src/cli/main';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { serveFolder, type FolderServer } from '../../src/test-support/serve-folder';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';
import { registryInstalled, startRegistry, type Registry } from '../harness/registry';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

describe.skipIf(!haveDocker || !busyboxRootfsTar || !haveFixtures || !registryInstalled)('build -b: a tarball, a layout folder or a reference', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'build-bases-'));
  const tags: string[] = [];
  let server: FolderServer;
  let registry: Registry;
  let channel: string;
  let baseTar: string;
  let baseRef: string;
  const docker = (...a: string[]) => execFileSync('docker', a, { env: dockerEnv(), encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    server = await serveFolder(fixture('pixi/tests/data/channels/channels'));
    channel = `${server.base}/dummy_channel_1`;
    registry = await startRegistry({ mode: 'open', root: join(tmp, 'registry') });
    baseTar = join(tmp, 'base.tar');
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(baseTar)) as WritableStream<Uint8Array>);
    // the other two forms of the same base, written by a real peer
    execFileSync('skopeo', ['copy', '-q', `docker-archive:${baseTar}`, `oci:${join(tmp, 'layout')}:1`]);
    baseRef = `${registry.host}/x/base:1`;
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${baseTar}`, `docker://${baseRef}`]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await registry?.stop();
    for (const t of tags) spawnSync('docker', ['rmi', '-f', t], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the same image ID from each form of the base, and each runs', { timeout: 240_000 }, async () => {
    const ids: string[] = [];
    for (const [name, base] of [['tar', baseTar], ['layout', join(tmp, 'layout')], ['ref', baseRef]] as const) {
      const tag = `docker-envs.test/bases-${name}:1`;
      tags.push(tag);
      const out = join(tmp, `${name}.tar`);
      const r = await cli('build', '-b', base, '-i', tag, '-p', 'dummy-a', '-c', channel, '-o', out, '--cache', join(tmp, 'cache'));
      expect(r.err, `${name}: ${r.err}`).not.toMatch(/error/);
      expect(r.code).toBe(0);
      docker('load', '-i', out);
      ids.push(docker('image', 'inspect', '-f', '{{.Id}}', tag).trim());
      expect(docker('run', '--rm', '--network', 'none', tag, '/bin/sh', '-c', 'ls /opt/conda/conda-meta; busybox true && echo ran').split('\n'))
        .toEqual(['dummy-a-0.1.0-hb0f4dca_0.json', 'dummy-c-0.1.0-hb0f4dca_0.json', 'explicit.txt', 'history', 'ran', '']);
    }
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(ids[0]);
  });

  it('openImage on the reference: the manifest skopeo sees, layers a push mounts; a platform it lacks is platform-not-found', { timeout: 60_000 }, async () => {
    const o = await openImage(baseRef, { insecure: true });
    expect(o.source).toBe('registry');
    expect(o.tags).toEqual([baseRef]);
    const seen = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${baseRef}`], { encoding: 'utf8' })) as { Digest: string };
    expect(o.manifestDigest).toBe(seen.Digest);
    await expect(openImage(baseRef, { insecure: true, platform: { os: 'linux', architecture: 'arm64' } })).rejects.toMatchObject({ code: 'platform-not-found' });
    const copy = await cli('push', baseRef, `${registry.host}/y/copy:1`);
    // stderr is not a terminal: one plain progress line, for the one blob uploaded (the config)
    expect(copy.err).toMatch(/^ {2}uploaded sha256:[0-9a-f]{12} \(\d+ B\)\n$/);
    expect(copy.code).toBe(0);
    // only the config is uploaded: the layer is mounted from x/base
    expect(copy.out).toMatch(/: 1 blob\(s\) uploaded \(\d+ bytes\), 1 already there\n$/);
    // the image unchanged: its own manifest bytes, so the copy has the source's digest
    const digestOf = (ref: string) => (JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' })) as { Digest: string }).Digest;
    expect(digestOf(`${registry.host}/y/copy:1`)).toBe(o.manifestDigest);
    // and so the same config and layers
    const config = (ref: string) => execFileSync('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', `docker://${ref}`]);
    const layers = (ref: string) => (JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' })) as { Layers: string[] }).Layers;
    expect(config(`${registry.host}/y/copy:1`).equals(config(baseRef))).toBe(true);
    expect(layers(`${registry.host}/y/copy:1`)).toEqual(layers(baseRef));
  });
});

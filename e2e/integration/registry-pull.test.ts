/**
 * Pulling from the real distribution registry (Debian's docker-registry, open mode, on loopback): the CLI's
 * archive loads and runs in dockerd and agrees with skopeo; tampered blobs, missing tags and platforms give
 * precise errors and leave nothing in the cache; dropped connections resume; 429 and 500 are retried.
 * Network faults are injected through the client's `fetch` seam (the registry itself stays real).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream, openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive, writeDockerArchiveTo } from '../../src/core/archive';
import { writeDockerArchiveToFile } from '../../src/core/archive/file.node.js';
import { folderBlobStore } from '../../src/core/cache/blob-store.node.js';
import { useGunzipEngine } from '../../src/core/compress';
import { useNodeGunzip } from '../../src/core/compress/gunzip.node.js';
import { digestStream } from '../../src/core/digest';
import { appendLayers, emptyImage, layerFromBlob, layerFromFiles, validate } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { fetchRegistryImage, pushImage, pushIndex, RegistryClient } from '../../src/core/registry';
import { main } from '../../src/cli/main';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';
import { freePort } from '../harness/registry';

const haveRegistry = existsSync('/usr/bin/docker-registry');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

describe.skipIf(!haveRegistry || !haveDocker || !busyboxRootfsTar)('pull from a real registry', () => {
  let tmp: string;
  let reg: ChildProcess;
  let host: string;
  const docker = (...a: string[]) => execFileSync('docker', a, { env: dockerEnv(), encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'registry-pull-'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    writeFileSync(join(tmp, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/data\nhttp:\n  addr: ${host}\n`);
    reg = spawn('docker-registry', ['serve', join(tmp, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // a busybox image written by the project, pushed with skopeo (gzip layers in the registry)
    const image = appendLayers(emptyImage(), [
      { layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } },
      { layer: layerFromFiles([{ path: 'hello.sh', content: '#!/bin/sh\necho pulled-and-running\n', mode: 0o755 }]), history: { created_by: 'script' } },
    ]);
    const src = join(tmp, 'src.tar');
    await writeDockerArchiveTo([{ image, tags: ['x/busybox:1'] }], Writable.toWeb(createWriteStream(src)) as WritableStream<Uint8Array>);
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${src}`, `docker://${host}/test/busybox:1`]);
  }, 120_000);
  afterAll(() => {
    reg?.kill();
    spawnSync('docker', ['rmi', '-f', `${host}/test/busybox:1`], { env: dockerEnv() });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('docker-envs pull writes an archive that docker loads and runs, with skopeo\'s digests', async () => {
    const out = join(tmp, 'pulled.tar');
    const r = await cli('pull', `${host}/test/busybox:1`, '-o', out, '--cache', join(tmp, 'cache'));
    // stderr is not a terminal: only the plain progress lines, one per blob downloaded
    expect(r.err.replace(/^ {2}downloaded sha256:[0-9a-f]{12} \([^)]*\)\n/gm, '')).toBe('');
    expect(r.code).toBe(0);
    const sk = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${host}/test/busybox:1`], { encoding: 'utf8' }));
    const skConfig = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${host}/test/busybox:1`], { encoding: 'utf8' }));
    const ins = await cli('inspect', out, '--json');
    const img = JSON.parse(ins.out).images[0];
    expect(img.configDigest).toBe(sk.config.digest);
    expect(img.layers.map((l: { diffId: string }) => l.diffId)).toEqual(skConfig.rootfs.diff_ids);
    // uncompressed layers in the archive, as skopeo's docker-archive writes them
    expect(img.layers.every((l: { digest: string; diffId: string }) => l.digest === l.diffId)).toBe(true);
    expect(docker('load', '-i', out)).toContain(`${host}/test/busybox:1`);
    expect(docker('run', '--rm', '--network', 'none', `${host}/test/busybox:1`, '/hello.sh')).toBe('pulled-and-running\n');
    // the cache holds exactly the verified layer blobs, by digest
    const cached = readdirSync(join(tmp, 'cache', 'blobs', 'sha256')).sort();
    expect(cached).toEqual(sk.layers.map((l: { digest: string }) => l.digest.slice(7)).sort());
  });

  it('missing tags, repositories and platforms give precise errors', async () => {
    const a = await cli('pull', `${host}/test/busybox:nope`, '-o', join(tmp, 'x.tar'), '--cache', join(tmp, 'c2'));
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/MANIFEST_UNKNOWN/);
    const b = await cli('pull', `${host}/test/absent:1`, '-o', join(tmp, 'x.tar'), '--cache', join(tmp, 'c2'));
    expect(b.err).toMatch(/NAME_UNKNOWN|MANIFEST_UNKNOWN/);
    const c = await cli('pull', `${host}/test/busybox:1`, '--platform', 'linux/arm64', '-o', join(tmp, 'x.tar'), '--cache', join(tmp, 'c2'));
    expect(c.err).toMatch(/platform-not-found.*linux\/amd64, not linux\/arm64/);
  });

  it('a tampered blob is refused and never cached', async () => {
    const pulled = await fetchRegistryImage(new RegistryClient(), `${host}/test/busybox:1`);
    const top = (await pulled.image.manifest()).layers[1].digest;
    const blobFile = join(tmp, 'data/docker/registry/v2/blobs/sha256', top.slice(7, 9), top.slice(7), 'data');
    const original = execFileSync('cat', [blobFile]);
    writeFileSync(blobFile, Buffer.concat([original.subarray(0, original.length - 1), Buffer.from([original[original.length - 1] ^ 1])]));
    try {
      const store = folderBlobStore(join(tmp, 'c3'));
      const fresh = await fetchRegistryImage(new RegistryClient(), `${host}/test/busybox:1`, { store });
      await expect(validate(fresh.image)).rejects.toMatchObject({ code: expect.stringMatching(/digest-mismatch|invalid-image/) });
      expect(await store.has(top)).toBe(false);
    } finally {
      writeFileSync(blobFile, original);
    }
  });

  it('a tampered blob streamed straight into the archive (the CLI\'s one-pass path) fails the pull: no archive, nothing cached', async () => {
    const pulled = await fetchRegistryImage(new RegistryClient(), `${host}/test/busybox:1`);
    const top = (await pulled.image.manifest()).layers[1].digest;
    const blobFile = join(tmp, 'data/docker/registry/v2/blobs/sha256', top.slice(7, 9), top.slice(7), 'data');
    const original = execFileSync('cat', [blobFile]);
    // same length, one bit flipped in the gzip header's MTIME (which decoders ignore): it still decompresses to
    // the right bytes, so only the compressed digest can catch it
    const bad = Buffer.from(original);
    bad[4] ^= 1;
    writeFileSync(blobFile, bad);
    useNodeGunzip(); // the engine the CLI runs with: layers stream from the network through the decoder
    try {
      const out = join(tmp, 'tampered.tar');
      writeFileSync(out, 'an older archive');
      const r = await cli('pull', `${host}/test/busybox:1`, '-o', out, '--cache', join(tmp, 'c5'));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/digest/i);
      expect(r.err).toContain(top);
      expect(readFileSync(out, 'utf8')).toBe('an older archive'); // not replaced by a partial archive
      expect(readdirSync(tmp).filter((n) => n.endsWith('.partial'))).toEqual([]);
      expect(await folderBlobStore(join(tmp, 'c5', 'blobs')).has(top)).toBe(false);
      expect(await folderBlobStore(join(tmp, 'c5', 'blobs')).has((await pulled.image.manifest()).layers[0].digest)).toBe(true);
    } finally {
      useGunzipEngine(undefined);
      writeFileSync(blobFile, original);
    }
  });

  it('a runtime gunzip that fails partway through a layer streamed from the network (Chromium on multi-member gzip) falls back and fetches the blob again', async () => {
    // Node's DecompressionStream stands in for Chromium's, made to refuse the stream after 4 KiB of input as
    // Chromium's does at a second gzip member; the registry and the fallback decoder are real
    const Native = globalThis.DecompressionStream;
    let refused = 0;
    globalThis.DecompressionStream = class {
      readable: ReadableStream<Uint8Array>;
      writable: WritableStream<Uint8Array>;
      constructor(format: CompressionFormat) {
        let n = 0;
        const guard = new TransformStream<Uint8Array, Uint8Array>({
          transform(c, ctl) { n += c.byteLength; if (n > 4096) { refused++; throw new TypeError('Junk found after end of compressed data'); } ctl.enqueue(c); },
        });
        this.writable = guard.writable;
        this.readable = guard.readable.pipeThrough(new Native(format) as unknown as TransformStream<Uint8Array, Uint8Array>);
      }
    } as unknown as typeof DecompressionStream;
    let blobGets = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes('/blobs/') && (init?.method ?? 'GET') === 'GET') blobGets++;
      return fetch(input, init);
    };
    try {
      const store = folderBlobStore(join(tmp, 'c6'));
      const pulled = await fetchRegistryImage(new RegistryClient({ fetch: counting }), `${host}/test/busybox:1`, { store });
      const out = join(tmp, 'fallback.tar');
      await writeDockerArchiveToFile([{ image: pulled.image, tags: [] }], out);
      const back = await readImageArchive(await openAsBlob(out));
      const want = await Promise.all((await pulled.image.layers()).map((l) => l.diffId()));
      expect(await Promise.all((await back.images[0].image.layers()).map((l) => l.diffId()))).toEqual(want);
      expect(refused).toBeGreaterThan(0);
      expect(blobGets).toBeGreaterThan(3); // config + 2 layers, and again for a layer whose first download was cut short
      for (const l of (await pulled.image.manifest()).layers) expect(await store.has(l.digest)).toBe(true);
    } finally {
      globalThis.DecompressionStream = Native;
    }
  });

  it('resumes a blob whose connection dropped halfway, and verifies it', async () => {
    let dropped = 0;
    let ranged = '';
    const faulty: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = String(input);
      const range = new Headers(init?.headers).get('range');
      if (range) ranged = range;
      if (url.includes('/blobs/') && !range && dropped === 0 && Number(res.headers.get('content-length')) > 100_000) {
        dropped++;
        const reader = res.body!.getReader();
        let sent = 0;
        const half = Number(res.headers.get('content-length')) / 2;
        return new Response(new ReadableStream({
          async pull(c) {
            if (sent >= half) { c.error(new TypeError('terminated: other side closed')); await reader.cancel(); return; }
            const { done, value } = await reader.read();
            if (done) { c.close(); return; }
            sent += value.byteLength;
            c.enqueue(value);
          },
        }), { status: res.status, headers: res.headers });
      }
      return res;
    };
    const pulled = await fetchRegistryImage(new RegistryClient({ fetch: faulty }), `${host}/test/busybox:1`);
    const layers = await pulled.image.layers();
    const d = await digestStream(layers[0].compressed());
    expect(d.digest).toBe(await layers[0].digest());
    expect(dropped).toBe(1);
    expect(ranged).toMatch(/^bytes=\d+-$/);
  });

  it('retries 429 (honouring Retry-After) and 5xx, and ends repeated 500s with a clear error', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const flaky = (failWith: number, times: number): typeof fetch => async (input, init) => {
      if (String(input).includes('/manifests/') && calls++ < times) {
        return new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', { status: failWith, headers: { 'retry-after': '2' } });
      }
      return fetch(input, init);
    };
    const sleep = async (ms: number) => { sleeps.push(ms); };
    calls = 0;
    const ok = await fetchRegistryImage(new RegistryClient({ fetch: flaky(429, 2), sleep }), `${host}/test/busybox:1`);
    expect(ok.manifestDigest).toMatch(/^sha256:/);
    expect(sleeps).toEqual([2000, 2000]);
    calls = 0;
    sleeps.length = 0;
    await expect(fetchRegistryImage(new RegistryClient({ fetch: flaky(500, 99), sleep, maxAttempts: 3 }), `${host}/test/busybox:1`))
      .rejects.toThrow(/HTTP 500.*TOOMANYREQUESTS/);
    expect(sleeps).toHaveLength(2);
  });

  it('push: docker pull gets the pushed image and runs it; a second push uploads no bytes; mounts across repositories', async () => {
    const src = join(tmp, 'pushed-src.tar');
    const image = appendLayers(emptyImage(), [
      { layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } },
      { layer: layerFromFiles([{ path: 'pushed.sh', content: '#!/bin/sh\necho pushed-by-docker-envs\n', mode: 0o755 }]), history: { created_by: 'script' } },
    ]);
    await writeDockerArchiveTo([{ image, tags: ['x/pushed:1'] }], Writable.toWeb(createWriteStream(src)) as WritableStream<Uint8Array>);
    const first = await cli('push', src, `${host}/test/pushed:1`);
    // stderr is not a terminal: a plain progress line per blob uploaded, nothing else
    expect(first.err).toMatch(/^( {2}uploaded sha256:[0-9a-f]{12} \([^)]*\)\n){3}$/);
    expect(first.out).toMatch(/3 blob\(s\) uploaded/);
    docker('pull', `${host}/test/pushed:1`);
    expect(docker('run', '--rm', '--network', 'none', `${host}/test/pushed:1`, '/pushed.sh')).toBe('pushed-by-docker-envs\n');
    const again = await cli('push', src, `${host}/test/pushed:1`);
    expect(again.out).toMatch(/0 blob\(s\) uploaded \(0 bytes\), 3 already there/);
    // the same bytes give the same manifest digest (deterministic gzip)
    expect(again.out.split(' ')[1]).toBe(first.out.split(' ')[1]);
    // a pulled image pushed to another repository mounts its layers instead of uploading them
    const pulled = await fetchRegistryImage(new RegistryClient(), `${host}/test/pushed:1`);
    const moved = await pushImage(new RegistryClient(), pulled.image, `${host}/other/copy:1`, { chunkSize: 64 * 1024 });
    expect(moved.blobs.filter((b) => b.how === 'mounted')).toHaveLength(2);
    expect(moved.blobs.filter((b) => b.how === 'uploaded').map((b) => b.size)).toEqual([(await pulled.image.rawConfig()).byteLength]);
    spawnSync('docker', ['rmi', '-f', `${host}/test/pushed:1`], { env: dockerEnv() });
  });

  it('push: chunked uploads and a multi-platform index that docker pull --platform resolves', async () => {
    const mk = (arch: string) => appendLayers(emptyImage({ platform: { os: 'linux', architecture: arch } }), [
      { layer: layerFromFiles({ [`arch-${arch}.txt`]: `built for ${arch}\n`.repeat(20_000) }), history: { created_by: arch } },
    ]);
    const res = await pushIndex(new RegistryClient(), [
      { image: mk('amd64'), platform: { os: 'linux', architecture: 'amd64' } },
      { image: mk('arm64'), platform: { os: 'linux', architecture: 'arm64' } },
    ], `${host}/test/multi:1`, { chunkSize: 4096 });
    expect(res.blobs.filter((b) => b.how === 'uploaded')).toHaveLength(4);
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${host}/test/multi:1`], { encoding: 'utf8' }));
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    docker('pull', '--platform', 'linux/arm64', `${host}/test/multi:1`);
    expect(docker('image', 'inspect', '-f', '{{.Architecture}}', `${host}/test/multi:1`).trim()).toBe('arm64');
    spawnSync('docker', ['rmi', '-f', `${host}/test/multi:1`], { env: dockerEnv() });
    const arm = await fetchRegistryImage(new RegistryClient(), `${host}/test/multi:1`, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(arm.indexDigest).toBe(res.digest);
    await validate(arm.image);
    await expect(fetchRegistryImage(new RegistryClient(), `${host}/test/multi:1`, { platform: { os: 'linux', architecture: 's390x' } }))
      .rejects.toThrow(/no image for linux\/s390x; it has: linux\/amd64, linux\/arm64/);
  });
});

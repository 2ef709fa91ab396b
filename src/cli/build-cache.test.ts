/**
 * `build --cache DIR` keeps built layers: the same build again takes every layer from the folder and writes
 * the same archive byte for byte; a layer tar changed on disk is found by its digest and built again.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixtures } from '../test-support/fixtures';
import type { FolderServer } from '../test-support/serve-folder';
import { dummyChannelAndBase, runCli } from '../test-support/cli';

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.skipIf(!haveFixtures)('build --cache: the layer cache', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'build-cache-'));
  let server: FolderServer;
  let channel: string;
  const base = join(tmp, 'base.tar');
  const cache = join(tmp, 'cache');
  const build = (out: string) => runCli('build', '-b', base, '-i', 'x/env:1', '-c', channel, '-p', 'dummy-a', '-p', 'dummy-b', '-o', join(tmp, out), '--cache', cache, '--json');
  beforeAll(async () => {
    ({ server, channel } = await dummyChannelAndBase(base));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a rebuild takes every layer from the cache, gives the same archive, and rebuilds a corrupted one', { timeout: 120_000 }, async () => {
    const first = await build('a.tar');
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ layers: 4, cachedLayers: 0 });
    const requests = server.log.length;
    const again = await build('b.tar');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ layers: 4, cachedLayers: 3 });
    expect(sha256File(join(tmp, 'b.tar'))).toBe(sha256File(join(tmp, 'a.tar')));
    // packages came from the blob cache too: only repodata may be asked for again
    expect(server.log.slice(requests).filter((l) => /\.conda|\.tar\.bz2/.test(l))).toEqual([]);
    // one layer's tar changed on disk: found by its digest, built again, same archive
    const [record] = readdirSync(join(cache, 'layers'));
    const hex = (JSON.parse(readFileSync(join(cache, 'layers', record), 'utf8')) as { digest: string }).digest.slice('sha256:'.length);
    const path = join(cache, 'blobs', 'sha256', hex);
    const bytes = readFileSync(path);
    bytes[512] ^= 0x01;
    writeFileSync(path, bytes);
    const repaired = await build('c.tar');
    expect(repaired.code, repaired.err).toBe(0);
    expect(JSON.parse(repaired.out)).toMatchObject({ cachedLayers: 2 });
    expect(sha256File(join(tmp, 'c.tar'))).toBe(sha256File(join(tmp, 'a.tar')));
    expect(sha256File(path)).toBe(hex);
    // --no-layer-cache builds every layer (what the assembly benchmark measures), same bytes
    const uncached = await runCli('build', '-b', base, '-i', 'x/env:1', '-c', channel, '-p', 'dummy-a', '-p', 'dummy-b', '-o', join(tmp, 'd.tar'), '--cache', cache, '--json', '--no-layer-cache');
    expect(uncached.code, uncached.err).toBe(0);
    expect(JSON.parse(uncached.out)).toMatchObject({ cachedLayers: 0 });
    expect(sha256File(join(tmp, 'd.tar'))).toBe(sha256File(join(tmp, 'a.tar')));
  });
});

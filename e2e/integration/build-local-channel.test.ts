/**
 * `docker-envs build` from a local channel folder: `-c ./relative/path` and `-c file:///abs/path` give the same
 * bytes; the image loads and runs in dockerd with conda-meta naming the folder's file:/// URLs; the lock `solve`
 * writes for it builds the same packages with `--lock`; a folder that is not there is named in the error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { runCliWithEnv } from '../../src/test-support/cli';
import { fixture, haveFixtures } from '../../src/test-support/fixtures';
import { busyboxRootfsTar, dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/local-channel:1';

const cli = (...args: string[]) => runCliWithEnv({ SOURCE_DATE_EPOCH: '1700000000' }, ...args);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.skipIf(!haveDocker || !busyboxRootfsTar || !haveFixtures)('docker-envs build from a local channel folder', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'local-channel-'));
  const channel = fixture('pixi/tests/data/channels/channels/dummy_channel_1');
  const channelUrl = pathToFileURL(channel).href;
  const base = join(tmp, 'base.tar');
  beforeAll(async () => {
    const image = appendLayers(emptyImage(), [{ layer: layerFromBlob(await openAsBlob(busyboxRootfsTar!), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox' } }]);
    await writeDockerArchiveTo([{ image, tags: ['x/base:1'] }], Writable.toWeb(createWriteStream(base)) as WritableStream<Uint8Array>);
  });
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('-c ./folder and -c file:///folder build the same image, which runs with the folder in conda-meta', async () => {
    const build = (c: string, out: string) => cli('build', '-b', base, '-i', TAG, '-p', 'dummy-a', '-c', c, '-o', out, '--cache', join(tmp, 'cache'));
    const rel = await build(`./${relative(process.cwd(), channel)}`, join(tmp, 'rel.tar'));
    expect(rel.err).not.toMatch(/error/);
    expect(rel.code).toBe(0);
    expect(rel.out).toMatch(/2 packages in 3 layers/);
    const url = await build(channelUrl, join(tmp, 'url.tar'));
    expect(url.code).toBe(0);
    expect(sha(join(tmp, 'url.tar'))).toBe(sha(join(tmp, 'rel.tar')));

    execFileSync('docker', ['load', '-i', join(tmp, 'rel.tar')], { env: dockerEnv() });
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', TAG, '/bin/sh', '-c',
      'ls /opt/conda/conda-meta; grep "^file" /opt/conda/conda-meta/explicit.txt; grep "\\"url\\"\\|\\"channel\\"" /opt/conda/conda-meta/dummy-a-0.1.0-hb0f4dca_0.json'],
    { env: dockerEnv(), encoding: 'utf8' });
    expect(run.split('\n')).toEqual([
      'dummy-a-0.1.0-hb0f4dca_0.json', 'dummy-c-0.1.0-hb0f4dca_0.json', 'explicit.txt', 'history',
      expect.stringMatching(new RegExp(`^${channelUrl}/linux-64/dummy-c-0\\.1\\.0-hb0f4dca_0\\.conda#[0-9a-f]{64}$`)),
      expect.stringMatching(new RegExp(`^${channelUrl}/linux-64/dummy-a-0\\.1\\.0-hb0f4dca_0\\.conda#[0-9a-f]{64}$`)),
      `  "url": "${channelUrl}/linux-64/dummy-a-0.1.0-hb0f4dca_0.conda",`,
      `  "channel": "${channelUrl}",`,
      '',
    ]);
  }, 300_000);

  it('the lock `solve` writes for a folder channel builds with --lock', async () => {
    const solved = await cli('solve', '-b', base, '-p', 'dummy-a', '-c', channel, '--cache', join(tmp, 'cache'));
    expect(solved.code).toBe(0);
    expect(solved.out).toContain(`${channelUrl}/linux-64/dummy-a-0.1.0-hb0f4dca_0.conda#`);
    writeFileSync(join(tmp, 'explicit.txt'), solved.out);
    const r = await cli('build', '-b', base, '-i', TAG, '--lock', join(tmp, 'explicit.txt'), '-o', join(tmp, 'lock.tar'), '--cache', join(tmp, 'cache-lock'));
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 packages in 3 layers/);
  }, 300_000);

  it('a folder that is not there: the error names the channel and why', async () => {
    const r = await cli('build', '-b', base, '-i', TAG, '-p', 'dummy-a', '-c', join(tmp, 'nope'), '-o', join(tmp, 'x.tar'), '--cache', join(tmp, 'cache'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`docker-envs: error [channel-unreadable]: cannot solve dummy-a: channel ${pathToFileURL(join(tmp, 'nope')).href}/: there is no folder ${join(tmp, 'nope')}`);
  }, 300_000);
});

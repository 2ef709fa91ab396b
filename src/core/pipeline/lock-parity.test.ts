/**
 * A lock written from a solve installs the same image as the solve: the explicit lock carries one hash per
 * package, and conda-meta's md5 and size (which repodata gave the solve) come from the verified archives.
 */
import { describe, expect, it } from 'vitest';
import { memoryBlobStore } from '../cache';
import { folderChannel } from '../conda/channel-folder.node';
import { readExplicitLock, writeExplicitLock } from '../conda/explicit-lock';
import { localChannelFetch } from '../conda/local-channel';
import { emptyImage, validate } from '../image';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { buildEnvironment } from './build';

describe.skipIf(!haveFixtures)('a build from the solve\'s lock', () => {
  it('gives the digest of the build that solved', { timeout: 60_000 }, async () => {
    const channel = folderChannel(fixture('pixi/tests/data/channels/channels/dummy_channel_1'));
    const fetch = localChannelFetch([channel], () => Promise.reject(new Error('nothing leaves the folder')));
    const common = { base: emptyImage(), specs: ['dummy-a'], channels: [channel.url], fetch, repodataFetch: fetch, epoch: 1_700_000_000 };
    const solved = await buildEnvironment({ ...common, store: memoryBlobStore() });
    const digest = await solved.image.digest();
    const lock = readExplicitLock(writeExplicitLock(solved.solved, 'linux-64'));
    expect(lock.every((r) => r.md5 === undefined && r.size === undefined)).toBe(true);
    const locked = await buildEnvironment({ ...common, store: memoryBlobStore(), lock });
    await validate(locked.image);
    expect(await locked.image.digest()).toBe(digest);
  });
});

/** The CLI's image arguments: files and folders on disk, what is neither, and the flags' parsing. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../test-support/fixtures';
import { main } from './main';
import { openImagePath } from '../core/image/open.node.js';
import { openImageArg, parseCreds, parsePlatform } from './open-image';

const LAYOUT = 'go-containerregistry/pkg/v1/layout/testdata/test_index_one_image';
const ONE = 'go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar';

describe('CLI image arguments', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'open-image-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a FIFO is neither a file nor a folder: invalid-argument naming it, without opening it (which would block)', async () => {
    const fifo = join(tmp, 'base.tar');
    execFileSync('mkfifo', [fifo]);
    await expect(openImagePath(fifo)).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining(`${fifo} is neither a file nor a folder`) });
    await expect(openImageArg(fifo)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('nothing at a path that can only be a path: invalid-argument naming it; inspect says the same', async () => {
    const missing = join(tmp, 'nope.tar');
    expect(await openImagePath(missing)).toBeUndefined();
    await expect(openImageArg(missing, { cache: join(tmp, 'cache') })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining(`${missing}: no such file or folder`) });
    let err = '';
    const code = await main(['inspect', missing], { write: () => {} }, { write: (s: string) => { err += s; } });
    expect(code).toBe(1);
    expect(err).toBe(`docker-envs: error [invalid-argument]: ${missing}: no such file or folder (inspect reads an image tarball or an OCI layout folder)\n`);
  });

  it.skipIf(!haveFixtures)('a layout folder and a tarball on disk; --platform applies to them', async () => {
    const l = await openImageArg(fixture(LAYOUT));
    expect(l.source).toBe('layout');
    const t = await openImageArg(fixture(ONE));
    expect(t.source).toBe('archive');
    await expect(openImageArg(fixture(ONE), { platform: 'linux/arm64' })).rejects.toMatchObject({ code: 'platform-not-found' });
  });

  it('flags: --platform and --creds parse or fail as invalid-argument', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(() => parsePlatform('linux')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(parseCreds('u:p:q')).toEqual({ username: 'u', password: 'p:q' });
    expect(() => parseCreds('nopass')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

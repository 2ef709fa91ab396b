/**
 * A lock carried without URLs and hashes is rebuilt from real repodata (anaconda's r channel, linux-64)
 * byte for byte, and refused when the digest it travelled with differs or the channel changed a package; its
 * pip packages travel whole and are covered by the same digest.
 */
import { describe, expect, it } from 'vitest';
import { haveFixtures } from '../../test-support/fixtures';
import { R_CHANNEL, rChannelLock } from '../../test-support/r-channel-lock';
import { CoreError } from '../errors';
import { explicitLockDigest, lockedPackagesOf, lockedWheelsOf, rebuildExplicitLock, rebuildVerifiedLock } from './lock-share';

const CHANNEL = R_CHANNEL;
const rLock = rChannelLock;

/** A fetch serving `doc` as the channel's plain repodata.json (nothing else exists: 404). */
const serving = (doc: unknown, seen: string[] = []): typeof fetch => (async (input: RequestInfo | URL) => {
  const url = String(input instanceof Request ? input.url : input);
  seen.push(url);
  return url === `${CHANNEL}linux-64/repodata.json` ? new Response(JSON.stringify(doc)) : new Response('not found', { status: 404 });
}) as typeof fetch;

describe.skipIf(!haveFixtures)('share-link locks', () => {
  it('rebuilds a 100-package lock from the repodata byte for byte, with the same digest', async () => {
    const { doc, lock } = rLock(100);
    const packages = lockedPackagesOf(lock);
    expect(packages).toHaveLength(100);
    expect(packages[0]).not.toHaveProperty('sha256');
    const seen: string[] = [];
    const rebuilt = await rebuildExplicitLock(packages, 'linux-64', { fetch: serving(doc, seen) });
    expect(rebuilt).toBe(lock);
    expect(seen).toContain(`${CHANNEL}linux-64/repodata.json`);
    const digest = await explicitLockDigest(lock, 'linux-64');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    await expect(rebuildVerifiedLock(packages, 'linux-64', digest, { fetch: serving(doc) })).resolves.toBe(lock);
  });

  it('refuses a lock whose digest was altered, and one the channel now serves with another hash', async () => {
    const { doc, lock, records } = rLock(20);
    const packages = lockedPackagesOf(lock);
    const digest = await explicitLockDigest(lock, 'linux-64');
    const altered = `${digest[0] === '0' ? '1' : '0'}${digest.slice(1)}`;
    const err = await rebuildVerifiedLock(packages, 'linux-64', altered, { fetch: serving(doc) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('lock-mismatch');
    expect((err as Error).message).toContain(altered);
    // the same name, version and build, republished with other bytes: the rebuilt lock hashes differently
    const changed = structuredClone(doc);
    (changed.packages[records[3].fn] as { sha256: string }).sha256 = 'f'.repeat(64);
    const err2 = await rebuildVerifiedLock(packages, 'linux-64', digest, { fetch: serving(changed) }).catch((e: unknown) => e);
    expect((err2 as CoreError).code).toBe('lock-mismatch');
  });

  it('carries the pip packages whole: the digest covers them, and an altered one is refused', async () => {
    const { doc, lock } = rLock(10);
    const wheelUrl = (name: string, v: string) => `https://files.pythonhosted.org/packages/ab/cd/${name}-${v}-py3-none-any.whl`;
    const withPip = `${lock}# pip greeter @ ${wheelUrl('greeter', '2.0')}#sha256=${'1'.repeat(64)}\n# pip greetlib @ ${wheelUrl('greetlib', '1.0')}#sha256=${'2'.repeat(64)}\n`;
    const wheels = lockedWheelsOf(withPip);
    expect(wheels).toEqual([
      { name: 'greeter', version: '2.0', url: wheelUrl('greeter', '2.0'), sha256: '1'.repeat(64) },
      { name: 'greetlib', version: '1.0', url: wheelUrl('greetlib', '1.0'), sha256: '2'.repeat(64) },
    ]);
    const digest = await explicitLockDigest(withPip, 'linux-64');
    expect(digest).not.toBe(await explicitLockDigest(lock, 'linux-64'));
    const packages = lockedPackagesOf(withPip);
    await expect(rebuildVerifiedLock(packages, 'linux-64', digest, { fetch: serving(doc), wheels })).resolves.toBe(withPip);
    const refused = async (w: typeof wheels) => {
      const err = await rebuildVerifiedLock(packages, 'linux-64', digest, { fetch: serving(doc), wheels: w }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('lock-mismatch');
    };
    // another wheel's bytes, another file, a wheel left out
    await refused([{ ...wheels[0]!, sha256: '3'.repeat(64) }, wheels[1]!]);
    await refused([{ ...wheels[0]!, url: wheelUrl('greeter', '2.0').replace('/ab/', '/ef/') }, wheels[1]!]);
    await refused([wheels[0]!]);
    await refused([]);
  });

  it('names a locked package the channel no longer lists', async () => {
    const { doc, lock, records } = rLock(10);
    const gone = structuredClone(doc);
    delete gone.packages[records[5].fn];
    const err = await rebuildExplicitLock(lockedPackagesOf(lock), 'linux-64', { fetch: serving(gone) }).catch((e: unknown) => e);
    expect((err as CoreError).code).toBe('lock-invalid');
    expect((err as Error).message).toContain(records[5].fn);
  });
});

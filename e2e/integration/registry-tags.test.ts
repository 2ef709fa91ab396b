/**
 * Tag listing against the harness's real registries (open, htpasswd, bearer token): `listTags` asked for pages
 * of one tag returns the same tags as `skopeo list-tags`, following `Link` headers when the registry sends
 * them (distribution 2.8, the harness's registry, ignores `n` on tags/list and answers in one page, so this
 * does not prove multi-page following); in token mode one token (cached per scope) serves every request.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listTags, RegistryClient } from '../../src/core/registry';
import { haveRegistries, registries, registryImages, type HarnessRegistry } from '../harness/env';

/** A client whose `fetch` records every URL it was asked for (the registry itself stays real). */
function countingClient(reg: HarnessRegistry): { client: RegistryClient; urls: string[] } {
  const urls: string[] = [];
  const client = new RegistryClient({
    fetch: (input, init) => { urls.push(String(input)); return globalThis.fetch(input, init); },
    ...(reg.creds ? { credentials: () => ({ username: reg.creds!.user, password: reg.creds!.password }) } : {}),
  });
  return { client, urls };
}

describe.skipIf(!haveRegistries)('listing tags in every registry mode', () => {
  const modes = registries ? (['open', 'basic', 'token'] as const).map((m) => [m, registries![m]] as const) : [];
  const repos = [...new Set(Object.values(registryImages).map((i) => i.ref.split(/[:@]/)[0]))];

  it.each(modes)('%s: pages of one tag give the same tags as skopeo', { timeout: 60_000 }, async (mode, reg) => {
    expect(repos.length).toBeGreaterThan(0);
    for (const repo of repos) {
      const { client, urls } = countingClient(reg);
      const tags = await listTags(client, `${reg.host}/${repo}`, { pageSize: 1 });
      const sk = JSON.parse(execFileSync('skopeo', ['list-tags', '--tls-verify=false',
        ...(reg.creds ? ['--creds', `${reg.creds.user}:${reg.creds.password}`] : []), `docker://${reg.host}/${repo}`], { encoding: 'utf8' })) as { Tags: string[] };
      expect([...tags].sort()).toEqual([...sk.Tags].sort());
      expect(new Set(tags).size).toBe(tags.length);
      const pages = urls.filter((u) => u.includes(`/v2/${repo}/tags/list`) && new URL(u).host === reg.host);
      // at most one page per tag (n=1), plus at most one request answered 401 before credentials were sent
      expect(pages.length).toBeGreaterThanOrEqual(1);
      expect(pages.length).toBeLessThanOrEqual(tags.length + 1);
      const tokenRequests = urls.filter((u) => new URL(u).host !== reg.host);
      expect(tokenRequests.length).toBe(mode === 'token' ? 1 : 0);
    }
  });

  it.each(modes)('%s: a repository that does not exist is NAME_UNKNOWN', { timeout: 30_000 }, async (_mode, reg) => {
    const { client } = countingClient(reg);
    await expect(listTags(client, `${reg.host}/no/such-repository`)).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 'NAME_UNKNOWN' })] });
  });
});

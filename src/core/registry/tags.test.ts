/**
 * Tag pagination by `Link` headers. The harness's registry (distribution 2.8) ignores `n` on tags/list and
 * never pages, so the paging itself is checked with a scripted `fetch` here; the tags themselves are
 * checked against skopeo on the real registries in e2e/integration/registry-tags.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { listTags } from './pull';

describe('listTags', () => {
  it('follows Link rel="next" until the last page', async () => {
    const seen: string[] = [];
    const pages: Record<string, { tags: string[]; next?: string }> = {
      '/v2/library/busybox/tags/list?n=2': { tags: ['1.0', '1.1'], next: '/v2/library/busybox/tags/list?n=2&last=1.1' },
      '/v2/library/busybox/tags/list?n=2&last=1.1': { tags: ['1.2', 'latest'], next: '/v2/library/busybox/tags/list?n=2&last=latest' },
      '/v2/library/busybox/tags/list?n=2&last=latest': { tags: [] },
    };
    const fetch: typeof globalThis.fetch = async (input) => {
      const u = new URL(String(input));
      seen.push(u.pathname + u.search);
      const p = pages[u.pathname + u.search];
      return new Response(JSON.stringify({ name: 'library/busybox', tags: p.tags }), {
        headers: p.next ? { link: `<${p.next}>; rel="next"` } : {},
      });
    };
    expect(await listTags(new RegistryClient({ fetch }), 'busybox', { pageSize: 2 })).toEqual(['1.0', '1.1', '1.2', 'latest']);
    expect(seen).toEqual(Object.keys(pages));
  });
});

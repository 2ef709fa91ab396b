/**
 * `docker-envs diff` on registry references (the harness's registries): the same busybox pushed as a Docker
 * v2 manifest and as an OCI manifest has the same layer; two different images share nothing. With
 * credentials on the basic-auth registry too.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { ImageComparison } from '../../src/core/inspect/compare';
import { haveRegistries, registries, registryImages } from '../harness/env';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

describe.skipIf(!haveRegistries)('docker-envs diff of registry references', () => {
  it('the same image under two manifest types shares its layer; two images share nothing', { timeout: 60_000 }, async () => {
    const cache = mkdtempSync(join(tmpdir(), 'cli-diff-'));
    try {
      const open = registries!.open.host;
      const same = await cli('diff', `${open}/${registryImages.busyboxAmd64.ref}`, `${open}/${registryImages.busyboxAmd64Oci.ref}`, '--json', '--cache', cache);
      expect(same.err).toBe('');
      const c = JSON.parse(same.out) as ImageComparison;
      expect(c.layers.shared.length).toBe(1);
      expect(c.layers.onlyA).toEqual([]);
      expect(c.layers.onlyB).toEqual([]);
      expect(c.a.manifestDigest).not.toBe(c.b.manifestDigest);
      expect(c.conda).toEqual({ added: [], removed: [], changed: [] });

      const basic = registries!.basic;
      const other = await cli('diff', `${open}/${registryImages.busyboxAmd64.ref}`, `${basic.host}/${registryImages.debianMinbase.ref}`, '--files',
        '--creds', `${basic.creds!.user}:${basic.creds!.password}`, '--cache', cache);
      expect(other.code).toBe(0);
      expect(other.out).toMatch(/layers: 0 shared \(0 B\), 1 only in A, 1 only in B/);
      expect(other.out).toMatch(/\+ \/usr\/bin\/apt/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

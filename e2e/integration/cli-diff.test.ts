/**
 * `docker-envs diff` on registry references (the harness's registries): the same busybox pushed as a Docker
 * v2 manifest and as an OCI manifest has the same layer; two different images share nothing. The basic-auth
 * registry refuses it without --creds and answers with them; --cache keeps the layers diff read.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
      const pair = [`${open}/${registryImages.busyboxAmd64.ref}`, `${basic.host}/${registryImages.debianMinbase.ref}`];
      const denied = await cli('diff', ...pair, '--cache', cache);
      expect([denied.code, denied.err.split('\n')[0]]).toEqual([1, `docker-envs: error [registry-error]: ${basic.host} wants a username and password: UNAUTHORIZED`]);
      const other = await cli('diff', ...pair, '--files', '--creds', `${basic.creds!.user}:${basic.creds!.password}`, '--cache', cache);
      expect(other.code).toBe(0);
      expect(other.out).toMatch(/layers: 0 shared \(0 B\), 1 only in A, 1 only in B/);
      expect(other.out).toMatch(/\+ \/usr\/bin\/apt/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('--cache DIR: the layers it read are kept in DIR, by digest, and nothing in the default folder', { timeout: 60_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cli-diff-cache-'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(tmp, 'xdg');
    try {
      const refs = [registryImages.busyboxAmd64.ref, registryImages.debianMinbase.ref].map((r) => `${registries!.open.host}/${r}`);
      const r = await cli('diff', ...refs, '--cache', join(tmp, 'cache'));
      expect(r.code).toBe(0);
      const layers = refs.flatMap((ref) => (JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' })) as {
        layers: Array<{ digest: string }>;
      }).layers.map((l) => l.digest.slice(7)));
      expect(readdirSync(join(tmp, 'cache', 'blobs', 'sha256')).sort()).toEqual(layers.sort());
      expect(existsSync(join(tmp, 'xdg'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

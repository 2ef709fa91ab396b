/** The pip resolver over an in-memory index: backtracking, markers and extras, requires-python, yanked, tags. */
import { describe, expect, it } from 'vitest';
import type { IndexFile } from './index-client';
import { parseRequirement } from './requirement';
import { resolvePip, type PipTarget, type ResolverSource } from './resolver';
import { formatVersion } from './version';
import type { CoreMetadata } from './wheel';

interface Dist { name: string; version: string; deps?: string[]; rp?: string; yanked?: string; tag?: string; extras?: string[]; mdRp?: string }

function source(dists: Dist[]): ResolverSource & { metadataReads: string[] } {
  const md = new Map<string, CoreMetadata>();
  const files = dists.map((d): IndexFile => {
    const filename = `${d.name}-${d.version}-${d.tag ?? 'py3-none-any'}.whl`;
    const url = `https://index.invalid/${filename}`;
    md.set(url, { name: d.name, version: d.version, requiresDist: d.deps ?? [], providesExtra: d.extras ?? [], ...(d.mdRp ? { requiresPython: d.mdRp } : {}) });
    return { filename, url, hashes: {}, ...(d.rp ? { requiresPython: d.rp } : {}), yanked: d.yanked ?? false, metadata: false };
  });
  const metadataReads: string[] = [];
  return {
    metadataReads,
    files: async (key) => files.filter((f) => f.filename.startsWith(`${key}-`)),
    metadata: async (f) => { metadataReads.push(f.filename); return md.get(f.url)!; },
  };
}

const target: PipTarget = {
  python: '3.11.4',
  markers: { python_version: '3.11', python_full_version: '3.11.4', sys_platform: 'linux', os_name: 'posix', platform_machine: 'x86_64' },
  tags: [{ python: 'cp311', abi: 'cp311', platform: 'manylinux_2_17_x86_64' }, { python: 'py3', abi: 'none', platform: 'any' }],
};
const solve = async (reqs: string[], dists: Dist[]) =>
  (await resolvePip(reqs.map(parseRequirement), target, source(dists))).map((p) => `${p.key}==${formatVersion(p.version)}${p.file.filename.includes('cp311') ? ' (cp311)' : ''}`);

describe('resolvePip', () => {
  it('backtracks when a newer release brings a conflicting dependency', async () => {
    const s = source([
      { name: 'a', version: '2.0', deps: ['c<1'] }, { name: 'a', version: '1.0', deps: ['c>=1'] },
      { name: 'c', version: '0.5' }, { name: 'c', version: '1.0' }, { name: 'c', version: '1.5' },
    ]);
    const pins = await resolvePip(['a', 'c>=1'].map(parseRequirement), target, s);
    expect(pins.map((p) => [p.key, formatVersion(p.version), p.requested])).toEqual([['a', '1.0', true], ['c', '1.5', true]]);
    // chronological backtracking: c's other fitting release is tried before a's choice is undone
    expect(s.metadataReads).toEqual(['a-2.0-py3-none-any.whl', 'c-1.5-py3-none-any.whl', 'c-1.0-py3-none-any.whl', 'a-1.0-py3-none-any.whl']);
  });

  it('follows extras and markers', async () => {
    const dists = [
      { name: 'a', version: '1.0', extras: ['socks'], deps: ['d ; extra == "socks"', 'e ; python_version < "3"', 'f ; sys_platform == "linux"'] },
      { name: 'd', version: '1.0' }, { name: 'e', version: '1.0' }, { name: 'f', version: '1.0' },
    ];
    expect(await solve(['a'], dists)).toEqual(['a==1.0', 'f==1.0']);
    expect(await solve(['A[Socks]'], dists)).toEqual(['a==1.0', 'd==1.0', 'f==1.0']);
    // an extra asked later of an already pinned project adds its dependencies
    expect(await solve(['a', 'a[socks]'], dists)).toEqual(['a==1.0', 'd==1.0', 'f==1.0']);
    expect(await solve(['a ; python_version < "3"'], dists)).toEqual([]);
  });

  it('honours requires-python (the index\'s and the metadata\'s), yanked files and pre-releases', async () => {
    const dists = [
      { name: 'a', version: '4.0', yanked: 'broken' }, { name: 'a', version: '3.0', rp: '>=3.12' }, { name: 'a', version: '2.5', mdRp: '>=3.13' },
      { name: 'a', version: '2.0' }, { name: 'a', version: '5.0b1' },
    ];
    expect(await solve(['a'], dists)).toEqual(['a==2.0']);
    expect(await solve(['a==4.0'], dists)).toEqual(['a==4.0']);
    expect(await solve(['a>=5.0b1'], dists)).toEqual(['a==5.0b1']);
    expect(await solve(['a>4'], dists)).toEqual(['a==5.0b1']);
  });

  it('prefers the best tag of a version and skips wheels the target cannot run', async () => {
    expect(await solve(['a'], [{ name: 'a', version: '1.0' }, { name: 'a', version: '1.0', tag: 'cp311-cp311-manylinux_2_17_x86_64' }, { name: 'a', version: '2.0', tag: 'cp311-cp311-win_amd64' }]))
      .toEqual(['a==1.0 (cp311)']);
  });

  it('says what cannot be satisfied', async () => {
    await expect(solve(['a', 'c>=2'], [{ name: 'a', version: '1.0', deps: ['c<2'] }, { name: 'c', version: '1.0' }, { name: 'c', version: '2.0' }]))
      .rejects.toMatchObject({ code: 'solve-failed', message: 'pip requirements cannot be satisfied: c<2 (required by a 1.0) conflicts with c 2.0 chosen for c>=2' });
    await expect(solve(['a', 'c>=3'], [{ name: 'a', version: '1.0' }, { name: 'c', version: '1.0' }]))
      .rejects.toMatchObject({ code: 'solve-failed', message: 'pip requirements cannot be satisfied: no version of c satisfies c>=3' });
    await expect(solve(['a'], [])).rejects.toMatchObject({ code: 'solve-failed', message: expect.stringContaining('a: no wheel on the index fits this environment') });
  });
});

describe('resolvePip with what conda installs', () => {
  const installed = new Map([['c', { key: 'c', name: 'C', version: '1.0', owner: 'c-1.0-py_0.conda' }]]);
  const dists = [{ name: 'a', version: '2.0', deps: ['c>=2'] }, { name: 'a', version: '1.0', deps: ['c>=1'] }, { name: 'c', version: '1.0' }, { name: 'c', version: '2.0' }];
  const run = (reqs: string[], warn?: (m: string) => void) => resolvePip(reqs.map(parseRequirement), target, source(dists), { installed, ...(warn ? { warn } : {}) });

  it('does not pin a distribution conda installs, and backtracks around it', async () => {
    expect((await run(['a'])).map((p) => `${p.key}==${formatVersion(p.version)}`)).toEqual(['a==1.0']);
    expect(await run(['c>=1'])).toEqual([]);
  });

  it('a top-level pin conda\'s version fails is an error naming both', async () => {
    await expect(run(['c==2.0'])).rejects.toMatchObject({ code: 'solve-failed', message: 'pip requirement c==2.0 conflicts with C 1.0 installed by the conda package c-1.0-py_0.conda' });
    await expect(run(['a==2.0'])).rejects.toMatchObject({ code: 'solve-failed', message: 'pip requirements cannot be satisfied: pip requirement c>=2 (required by a 2.0) conflicts with C 1.0 installed by the conda package c-1.0-py_0.conda' });
  });

  it('warns that extras of a conda-installed distribution are not followed', async () => {
    const warnings: string[] = [];
    await run(['c[socks]'], (m) => warnings.push(m));
    expect(warnings).toEqual(['C 1.0 comes from the conda package c-1.0-py_0.conda: the dependencies of its extras socks are not added by pip']);
  });
});

describe('resolvePip in hash-checking mode', () => {
  it('takes the file whose sha256 is allowed, where one is (pip\'s filter of unallowed hashes)', async () => {
    const s = source([{ name: 'a', version: '1.0' }, { name: 'a', version: '1.0', tag: 'cp311-cp311-manylinux_2_17_x86_64' }]);
    const hashed: ResolverSource = {
      files: async (key) => (await s.files(key)).map((f) => ({ ...f, hashes: { sha256: f.filename.includes('cp311') ? 'b'.repeat(64) : 'a'.repeat(64) } })),
      metadata: (f) => s.metadata(f),
    };
    const pick = async (allowed: string) => (await resolvePip([parseRequirement('a==1.0')], target, hashed, { allowedHashes: { a: [allowed] } }))[0]!.file.filename;
    expect(await pick('a'.repeat(64))).toBe('a-1.0-py3-none-any.whl');
    expect(await pick('b'.repeat(64))).toBe('a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl');
    // none allowed: the best file, which the download then refuses
    expect(await pick('c'.repeat(64))).toBe('a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl');
  });
});

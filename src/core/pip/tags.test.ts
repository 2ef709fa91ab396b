/**
 * The target's wheel tags against Debian's python3-packaging (`cpython_tags` + `compatible_tags`, with the
 * manylinux platforms of `_manylinux.platform_tags` for a given glibc) as the oracle: same tags, same order.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpythonTags, linuxPlatforms } from './tags';

const PY = '/usr/bin/python3';
const havePackaging = spawnSync(PY, ['-c', 'import packaging.tags']).status === 0;
if (!havePackaging && process.env.CI === 'true') throw new Error(`${PY} with python3-packaging is required under CI=true`);

const ORACLE = String.raw`
import sys
from packaging import tags, _manylinux
minor, glibc = int(sys.argv[1]), sys.argv[2]
if glibc == 'none':
    platforms = ['no-platform']  # an empty list would mean the host's platforms: the tags of this one are dropped
else:
    _manylinux._get_glibc_version = lambda: tuple(int(x) for x in glibc.split('.'))
    try:  # packaging >= 23.1 takes the arches, older releases the platform and the arch
        platforms = list(_manylinux.platform_tags(['x86_64']))
    except TypeError:
        platforms = list(_manylinux.platform_tags('linux_x86_64', 'x86_64'))
    platforms.append('linux_x86_64')
for t in list(tags.cpython_tags((3, minor), abis=[f'cp3{minor}'], platforms=platforms)) + list(tags.compatible_tags((3, minor), f'cp3{minor}', platforms)):
    if t.platform != 'no-platform': print(t)
`;

describe.skipIf(!havePackaging)('wheel tags as packaging ranks them', () => {
  for (const [python, glibc] of [['3.11', '2.36'], ['3.12', '2.17'], ['3.8', '2.28'], ['3.11', undefined]] as const) {
    it(`python ${python}, glibc ${glibc ?? 'none'}`, () => {
      const r = spawnSync(PY, ['-c', ORACLE, python.split('.')[1]!, glibc ?? 'none'], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const want = r.stdout.trim().split('\n');
      const got = cpythonTags({ python, glibc, arch: 'x86_64' }).map((t) => `${t.python}-${t.abi}-${t.platform}`);
      expect(got).toEqual(want);
      expect(got.some((t) => t.includes('musllinux'))).toBe(false);
    });
  }

  it('the manylinux platforms of glibc 2.36 start at 2_36 and carry the legacy aliases after their glibc', () => {
    const p = linuxPlatforms('2.36', 'x86_64');
    expect(p.slice(0, 2)).toEqual(['manylinux_2_36_x86_64', 'manylinux_2_35_x86_64']);
    expect(p.indexOf('manylinux2014_x86_64')).toBe(p.indexOf('manylinux_2_17_x86_64') + 1);
    expect(p.at(-1)).toBe('linux_x86_64');
    expect(linuxPlatforms('2.36', 'aarch64').at(-2)).toBe('manylinux2014_aarch64');
  });

  it('a version that is not 3.N or 2.N is a clear error', () => {
    expect(() => cpythonTags({ python: '3', glibc: '2.36', arch: 'x86_64' })).toThrow(/python version "3"/);
    expect(() => cpythonTags({ python: '3.11', glibc: 'musl', arch: 'x86_64' })).toThrow(/glibc version "musl"/);
  });
});

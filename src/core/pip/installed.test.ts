/** What conda installs, as pip sees it: the dist-info and egg-info directories of its packages' files. */
import { openAsBlob } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPackagePaths } from '../conda/package';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { distributionIndex, distributionsInPaths } from './installed';

describe('distributionsInPaths', () => {
  it('finds dist-info and egg-info directories in site-packages, noarch or not', () => {
    expect(distributionsInPaths([
      'lib/python3.11/site-packages/Requests-2.32.3.dist-info/METADATA',
      'lib/python3.11/site-packages/Requests-2.32.3.dist-info/RECORD',
      'site-packages/typing_extensions-4.12.2.dist-info/METADATA',
      'site-packages/Flask-0.11.1-py3.5.egg-info/PKG-INFO',
      'lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info',
      'lib/python3.11/site-packages/requests/__init__.py',
      'share/doc/x-1.0.dist-info/METADATA',
      'lib/python3.11/site-packages/nodash.dist-info/METADATA',
    ], 'pkg.conda')).toEqual([
      { key: 'requests', name: 'Requests', version: '2.32.3', owner: 'pkg.conda' },
      { key: 'typing-extensions', name: 'typing_extensions', version: '4.12.2', owner: 'pkg.conda' },
      { key: 'flask', name: 'Flask', version: '0.11.1', owner: 'pkg.conda' },
      { key: 'six', name: 'six', version: '1.16.0', owner: 'pkg.conda' },
    ]);
  });

  it('a later list replaces an earlier one (the packages being installed over the base\'s)', () => {
    const idx = distributionIndex([{ key: 'a', name: 'a', version: '1', owner: 'old' }], [{ key: 'a', name: 'a', version: '2', owner: 'new' }]);
    expect(idx.get('a')?.owner).toBe('new');
  });
});

describe.skipIf(!haveFixtures)('readPackagePaths', () => {
  it('reads a .tar.bz2 package\'s info/files without its payload', async () => {
    const fn = 'flask-0.11.1-py_0.tar.bz2';
    const paths = await readPackagePaths(await openAsBlob(fixture(`conda-index/tests/archives/${fn}`)), fn);
    expect(distributionsInPaths(paths.map((p) => p.path), fn)).toEqual([{ key: 'flask', name: 'Flask', version: '0.11.1', owner: fn }]);
  });

  it('reads a .conda package\'s paths.json from its info member', async () => {
    const fn = 'sample_noarch_python-1.0-py_0.conda';
    const paths = await readPackagePaths(await openAsBlob(fixture(`conda/tests/data/test-recipes/noarch/${fn}`)), fn);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => !p.path.startsWith('info/'))).toBe(true);
  });
});

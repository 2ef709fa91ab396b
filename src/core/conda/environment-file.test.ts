import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors';
import { readEnvironmentYaml, writeEnvironmentYaml } from './environment-file';
import { readExplicitLock, writeExplicitLock } from './explicit-lock';

const error = (f: () => unknown): CoreError => {
  try {
    f();
  } catch (e) {
    return e as CoreError;
  }
  throw new Error('expected an error');
};

describe('readEnvironmentYaml', () => {
  it('reads what conda writes and what people write: pip blocks, flow lists, quotes and comments', () => {
    const env = readEnvironmentYaml([
      'name: demo  # a comment',
      'channels: [conda-forge, "https://example.test/ch#1"]',
      'dependencies:',
      '  - python=3.11',
      '  - pip:',
      '    - requests==2.31',
      '    - "flask>=3  # not a comment"',
      '  - "numpy>=2"   # after the pip block',
      "  - 'scipy # quoted'",
      '  - 3.11',
      'variables:',
      '  COLOR: "#ff0000"',
      '  N: 3',
      '  EMPTY:',
      'prefix: /opt/env',
      'platforms: [linux-64]',
    ].join('\n'));
    expect(env).toEqual({
      name: 'demo',
      channels: ['conda-forge', 'https://example.test/ch#1'],
      dependencies: ['python=3.11', 'numpy>=2', 'scipy # quoted', '3.11'],
      pip: ['requests==2.31', 'flask>=3  # not a comment'],
      variables: { COLOR: '#ff0000', N: '3', EMPTY: '' },
      warnings: [
        'environment.yml line 15: "prefix:" is ignored (the image\'s prefix is --prefix)',
        'environment.yml line 16: unknown key "platforms" is ignored',
      ],
    });
    expect(readEnvironmentYaml('dependencies: [python=3.11, numpy]\n').dependencies).toEqual(['python=3.11', 'numpy']);
    expect(readEnvironmentYaml('')).toEqual({ channels: [], dependencies: [], pip: [], variables: {}, warnings: [] });
  });

  it('malformed YAML and keys of the wrong shape are errors naming their line', () => {
    const cases: [string, RegExp][] = [
      ['dependencies:\n  - a\n  b: [\n', /^environment\.yml line 3: /],
      ['name: a\nname: b\n', /^environment\.yml line 2: Map keys must be unique/],
      ['- numpy\n', /^environment\.yml line 1: expected a mapping/],
      ['channels: conda-forge\n', /^environment\.yml line 1: channels should be a list/],
      ['dependencies:\n  - numpy\n  - conda: [x]\n', /^environment\.yml line 3: a dependency is a spec or a "pip:" list, not "conda:"/],
      ['variables:\n  - A=1\n', /^environment\.yml line 2: variables should be a mapping/],
      ['variables:\n  "A B": 1\n', /^environment\.yml line 2: "A B" is not an environment variable name/],
    ];
    for (const [text, message] of cases) {
      const e = error(() => readEnvironmentYaml(text));
      expect(e, text).toBeInstanceOf(CoreError);
      expect(e.code, text).toBe('environment-invalid');
      expect(e.message, text).toMatch(message);
    }
  });

  it('writes a file it reads back the same', () => {
    const env = { channels: ['conda-forge'], dependencies: ['python=3.11', '*weird: spec', 'numpy # x'], pip: ['requests'], variables: { A: '#1' } };
    const text = writeEnvironmentYaml(env);
    expect(readEnvironmentYaml(text)).toMatchObject({ name: 'base', ...env });
    expect(writeEnvironmentYaml({ channels: ['conda-forge'], dependencies: ['python=3.11'] })).toBe('name: base\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n');
  });
});

describe('readExplicitLock', () => {
  const url = 'https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda';
  const sha = 'a'.repeat(64);

  it('reads what writeExplicitLock writes', () => {
    const [r] = readExplicitLock(`# platform: linux-64\n@EXPLICIT\n\n${url}#${sha}\n`);
    expect(r).toMatchObject({ name: 'zlib', version: '1.3.1', build: 'hb9d3cd8_2', buildNumber: 2, subdir: 'linux-64', fn: 'zlib-1.3.1-hb9d3cd8_2.conda', channel: 'https://conda.anaconda.org/conda-forge/', sha256: sha });
    expect(readExplicitLock(writeExplicitLock([r], 'linux-64'))).toEqual([r]);
    expect(readExplicitLock(`${url}#${'b'.repeat(32)}\r\n`)[0]).toMatchObject({ md5: 'b'.repeat(32) });
  });

  it('a line that is not a package URL is an error naming its line', () => {
    const cases: [string, string][] = [
      [`@EXPLICIT\n${url}\nnumpy=2.0\n`, 'lock line 3: "numpy=2.0" is not a package URL'],
      [`${url}\nconda-forge/linux-64/zlib-1.3.1-0.conda\n`, 'lock line 2: "conda-forge/linux-64/zlib-1.3.1-0.conda" is not a package URL'],
      ['https://x.test/ch/linux-64/zlib.conda\n', 'lock line 1: "https://x.test/ch/linux-64/zlib.conda" does not end in <name>-<version>-<build>.conda or .tar.bz2'],
      [`${url}#abc\n`, `lock line 1: "${url}#abc" has a hash that is neither a sha256 (64 hex digits) nor an md5 (32)`],
      ['@EXPLICIT\n\n\nhttps://x.test/zlib-1-0.conda\n', 'lock line 4: "https://x.test/zlib-1-0.conda" has no channel and subdir before the file name'],
    ];
    for (const [text, message] of cases) {
      const e = error(() => readExplicitLock(text));
      expect(e).toBeInstanceOf(CoreError);
      expect([e.code, e.message]).toEqual(['lock-invalid', message]);
    }
  });
});

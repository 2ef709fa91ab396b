/** PEP 440/508 rules the oracle test leaves out (where Debian's packaging 23 differs from the spec) and errors. */
import { describe, expect, it } from 'vitest';
import { parseVersion } from './version';
import { allowsPrereleases, parseSpecifierSet, specifierSetContains } from './specifier';
import { evaluateMarker, parseMarker } from './marker';
import { parseRequirement } from './requirement';

const has = (spec: string, v: string) => specifierSetContains(parseSpecifierSet(spec), parseVersion(v));

describe('PEP 440 rules', () => {
  it('prefix matching and ~= respect the epoch', () => {
    expect(has('==0.*', '1!0.5')).toBe(false);
    expect(has('==1!0.*', '1!0.5')).toBe(true);
    expect(has('~=0.1', '1!0.10')).toBe(false);
    expect(has('~=1!0.1', '1!0.10')).toBe(true);
  });
  it('~= ignores a suffix however it is spelt', () => {
    expect(has('~=1.2.pre2', '1.3')).toBe(true);
    expect(has('~=1.2.pre2', '2.0')).toBe(false);
  });
  it('a specifier naming a pre-release admits pre-releases, != does not', () => {
    expect(allowsPrereleases(parseSpecifierSet('>=1.0a1'))).toBe(true);
    expect(allowsPrereleases(parseSpecifierSet('>=1.0,!=2.0b1'))).toBe(false);
  });
  it('bad versions, specifiers, markers and requirements are typed errors naming the input', () => {
    expect(() => parseVersion('1.0foo')).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: '"1.0foo" is not a valid PEP 440 version' }));
    expect(() => parseSpecifierSet('~=1')).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: '"~=1" is not a valid version specifier' }));
    expect(() => parseMarker('os_name == "nt" and')).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: expect.stringContaining('at position 19') }));
    expect(() => parseRequirement('pkg @ https://example.org/pkg-1.0-py3-none-any.whl')).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: expect.stringContaining('direct URL requirements') }));
  });
  it('a requirement carries its normalised key, extras, specifier and marker', () => {
    const r = parseRequirement('Foo.Bar[Socks_X] >=2 ; extra == "TEST" or python_version < "3.9"');
    expect(r).toMatchObject({ name: 'Foo.Bar', key: 'foo-bar', extras: ['socks-x'] });
    expect(evaluateMarker(r.marker!, { python_version: '3.11', extra: 'test' })).toBe(true);
    expect(evaluateMarker(r.marker!, { python_version: '3.11' })).toBe(false);
    expect(() => evaluateMarker(r.marker!, {})).toThrow(expect.objectContaining({ message: 'the marker variable python_version is not defined in the environment' }));
  });
});

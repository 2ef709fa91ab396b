/** The `pip:` list read as a requirements file: index options, requirements, and what is refused. */
import { describe, expect, it } from 'vitest';
import { parseRequirement } from '../pip/requirement';
import { checkHashedRequirements, DEFAULT_INDEX_URL, readPipSection } from './pip-layer';

describe('readPipSection', () => {
  it('takes requirements and the index options in both spellings', () => {
    expect(readPipSection(['requests==2.32.3', 'flask[async]>=3; python_version >= "3.8"'])).toEqual({
      requirements: ['requests==2.32.3', 'flask[async]>=3; python_version >= "3.8"'], indexUrls: [DEFAULT_INDEX_URL],
    });
    expect(readPipSection(['--extra-index-url https://b.test/simple', '-i https://a.test/simple', 'x', '--extra-index-url=https://c.test/simple']).indexUrls)
      .toEqual(['https://a.test/simple', 'https://b.test/simple', 'https://c.test/simple']);
  });

  it('editable installs, directories, sdists, URLs and VCS sources are errors naming the item', () => {
    const cases: [string, string][] = [
      ['-e .', 'editable installs'], ['--editable ./src', 'editable installs'], ['./local-dir', 'directories'], ['/abs/project', 'directories'],
      ['dist/pkg-1.0.tar.gz', 'sdists are not built'], ['./pkg-1.0.zip', 'sdists are not built'],
      ['git+https://example.test/x.git', 'VCS sources'], ['pkg @ https://example.test/pkg.whl', 'URLs are not installed'],
      ['https://example.test/pkg-1.0-py3-none-any.whl', 'URLs are not installed'], ['--pre', 'only requirements'], ['./notawheel.whl', 'not a wheel file name'],
    ];
    for (const [item, why] of cases) {
      expect(() => readPipSection([item], { base: 'file:///env/' })).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: expect.stringMatching(new RegExp(`^pip item "${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": .*${why}`)) }));
    }
  });

  it('a path ending in .whl is a local wheel, relative to the environment.yml\'s folder', () => {
    const s = readPipSection(['./dist/a-1.0-py3-none-any.whl', 'wheels/b-2.0-py3-none-any.whl', '/abs/c-3.0-py3-none-any.whl', `../d-1.0-py3-none-any.whl --hash=sha256:${'e'.repeat(64)}`, 'x'], { base: 'file:///work/env/' });
    expect(s).toEqual({
      requirements: ['x'], indexUrls: [DEFAULT_INDEX_URL], hashes: { d: ['e'.repeat(64)] },
      wheels: ['file:///work/env/dist/a-1.0-py3-none-any.whl', 'file:///work/env/wheels/b-2.0-py3-none-any.whl', 'file:///abs/c-3.0-py3-none-any.whl', 'file:///work/d-1.0-py3-none-any.whl'],
    });
    expect(() => readPipSection(['./a-1.0-py3-none-any.whl'])).toThrow(expect.objectContaining({ message: expect.stringContaining('relative to the environment.yml') }));
  });
});

describe('hash-checking mode', () => {
  const a = 'a'.repeat(64);
  const b = 'B'.repeat(64);
  it('takes --hash options off the requirement, by project, in both spellings', () => {
    expect(readPipSection([`Requests==2.32.3 --hash=sha256:${a} --hash sha256:${b}`, 'idna==3.7', `requests==2.32.3 --hash=sha256:${a}`])).toEqual({
      requirements: ['Requests==2.32.3', 'idna==3.7', 'requests==2.32.3'], indexUrls: [DEFAULT_INDEX_URL], hashes: { requests: [a, b.toLowerCase()] },
    });
    expect(readPipSection(['x==1']).hashes).toBeUndefined();
  });

  it('a hash that is not sha256:<64 hex> is an error naming the item', () => {
    for (const item of ['x==1 --hash=md5:0123', `x==1 --hash=sha512:${a}`, 'x==1 --hash=sha256:abc']) {
      expect(() => readPipSection([item])).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: expect.stringContaining(`"${item}"`) }));
    }
  });

  it('once one requirement has a hash, every one needs one and an == pin (pip\'s rules)', () => {
    const reqs = (...t: string[]) => t.map((x) => parseRequirement(x));
    expect(() => checkHashedRequirements(reqs('a==1', 'b==2', 'c===3'), { a: [a], b: [a], c: [a] })).not.toThrow();
    expect(() => checkHashedRequirements(reqs('a==1', 'b==2'), { a: [a] })).toThrow(expect.objectContaining({
      code: 'requirement-invalid', message: 'hash-checking mode (a requirement has --hash): every requirement needs one, and these have none: b==2',
    }));
    expect(() => checkHashedRequirements(reqs('a>=1', 'b==2.*', 'c==1,<2', 'd'), { a: [a], b: [a], c: [a], d: [a] })).toThrow(expect.objectContaining({
      message: 'hash-checking mode: every requirement must be pinned with ==, and these are not: a>=1, b==2.*, c==1,<2, d',
    }));
  });
});

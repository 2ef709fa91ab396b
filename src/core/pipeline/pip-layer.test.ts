/** The `pip:` list read as a requirements file: index options, requirements, and what is refused. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INDEX_URL, readPipSection } from './pip-layer';

describe('readPipSection', () => {
  it('takes requirements and the index options in both spellings', () => {
    expect(readPipSection(['requests==2.32.3', 'flask[async]>=3; python_version >= "3.8"'])).toEqual({
      requirements: ['requests==2.32.3', 'flask[async]>=3; python_version >= "3.8"'], indexUrls: [DEFAULT_INDEX_URL],
    });
    expect(readPipSection(['--extra-index-url https://b.test/simple', '-i https://a.test/simple', 'x', '--extra-index-url=https://c.test/simple']).indexUrls)
      .toEqual(['https://a.test/simple', 'https://b.test/simple', 'https://c.test/simple']);
  });

  it('editable installs, paths, URLs and other options are errors naming the item', () => {
    for (const item of ['-e .', '--editable ./src', './local-dir', '/abs/x.whl', 'git+https://example.test/x.git', 'pkg @ https://example.test/pkg.whl', '--pre']) {
      expect(() => readPipSection([item])).toThrow(expect.objectContaining({ code: 'requirement-invalid', message: expect.stringContaining(`"${item}"`) }));
    }
  });
});

/** The explicit lock's pip lines (conda-lock's `# pip name @ url#sha256=…`): written after the conda URLs, read back, refused when malformed. */
import { describe, expect, it } from 'vitest';
import { readExplicitLock, readLockedWheels, writeExplicitLock } from './explicit-lock';

const record = { name: 'python', version: '3.11.4', build: 'h0_0', buildNumber: 0, subdir: 'linux-64', fn: 'python-3.11.4-h0_0.conda', url: 'https://conda.test/c/linux-64/python-3.11.4-h0_0.conda', channel: 'https://conda.test/c/', depends: [], sha256: '1'.repeat(64) };
const wheels = [
  { name: 'greeter', version: '2.0', url: 'https://files.test/packages/greeter-2.0-py3-none-any.whl', sha256: 'a'.repeat(64) },
  { name: 'typing-extensions', version: '4.12.2', url: 'file:///work/env/wheels/typing_extensions-4.12.2-py3-none-any.whl', sha256: 'b'.repeat(64) },
];

describe('the pip lines of an explicit lock', () => {
  it('follow the conda URLs as comments conda skips, and read back', () => {
    const text = writeExplicitLock([record], 'linux-64', wheels);
    expect(text.split('\n').slice(-4)).toEqual([
      `${record.url}#${'1'.repeat(64)}`,
      `# pip greeter @ https://files.test/packages/greeter-2.0-py3-none-any.whl#sha256=${'a'.repeat(64)}`,
      `# pip typing-extensions @ file:///work/env/wheels/typing_extensions-4.12.2-py3-none-any.whl#sha256=${'b'.repeat(64)}`,
      '',
    ]);
    expect(readLockedWheels(text)).toEqual(wheels);
    expect(readExplicitLock(text).map((r) => r.fn)).toEqual([record.fn]);
    expect(writeExplicitLock([record], 'linux-64')).not.toContain('# pip');
  });

  it('a malformed pip line is an error naming its line', () => {
    const bad = (line: string, why: string) => expect(() => readLockedWheels(`@EXPLICIT\n${line}\n`)).toThrow(expect.objectContaining({ code: 'lock-invalid', message: expect.stringMatching(new RegExp(`^lock line 2: .*${why}`)) }));
    bad('# pip greeter==2.0', 'is not "# pip <name> @ <wheel URL>#sha256=<64 hex digits>"');
    bad(`# pip greeter @ https://files.test/greeter-2.0-py3-none-any.whl#sha256=${'a'.repeat(63)}`, 'is not "# pip');
    bad(`# pip greeter @ https://files.test/greeter-2.0.tar.gz#sha256=${'a'.repeat(64)}`, 'does not name a wheel');
    bad(`# pip other @ https://files.test/greeter-2.0-py3-none-any.whl#sha256=${'a'.repeat(64)}`, 'names other but its wheel is greeter-2.0-py3-none-any.whl');
    // other comments are not pip lines
    expect(readLockedWheels('# pipeline notes\n# platform: linux-64\n')).toEqual([]);
  });
});

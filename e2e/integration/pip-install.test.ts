/**
 * pip packages in a built image, in the real dockerd: an environment.yml with the real Python (made from
 * Debian's python3, e2e/conda-builder/python.ts) and a `pip:` section naming a wheel on a loopback PEP 691
 * index (wheels written by Python's zipfile: a console entry point, a `#!python` script and a dependency).
 * In the container the package imports from the prefix, its scripts run with the prefix's python, and
 * Debian's pip (its python3-pip-whl wheel on PYTHONPATH) lists both with INSTALLER docker-envs and finds
 * their requirements met (`pip check`). A local wheel beside the environment.yml is installed with the
 * direct_url.json (PEP 610) pip reads back: `pip freeze` names it by its file URL. A binary wheel (fastadd, a
 * C extension compiled by Debian's gcc, e2e/harness/binary-wheels.ts) is chosen among wheels of other tags
 * and imports with the real Python; Debian's pip in the image, asked to choose among the same wheels, picks
 * the same file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { haveFixtures } from '../../src/test-support/fixtures';
import { MAKE_WHEEL } from '../../src/test-support/wheels';
import { writePythonChannel } from '../conda-builder/python-channel';
import { FASTADD_X86_64, writeFastaddWheels } from '../harness/binary-wheels';
import { debianBaseArchive } from '../harness/debian';
import { dockerEnv, haveDocker } from '../harness/env';
import { servePipIndex, type PipIndex } from '../harness/pip-index';

const TAG = 'docker-envs.test/pip-install:1';
const SP = '/opt/conda/lib/python3.11/site-packages';
const pipWheel = (() => { try { return readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-')); } catch { return undefined; } })();
const docker = (...args: string[]) => execFileSync('docker', args, { env: dockerEnv(), encoding: 'utf8' });
const inImage = (script: string, ...opts: string[]) => docker('run', '--rm', '--network', 'none', ...opts, TAG, 'sh', '-c', script);

describe.skipIf(!haveDocker || !haveFixtures || !pipWheel)('pip packages from an index, installed into the image', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pip-install-'));
  const wheels = join(tmp, 'wheels');
  let index: PipIndex;
  let out = '';
  let err = '';
  let code = -1;
  let localWheel = '';
  beforeAll(async () => {
    execFileSync('mkdir', ['-p', wheels]);
    const make = (name: string, version: string, ...deps: string[]) => execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, wheels, name, version, 'ok', ...deps], { encoding: 'utf8' }).trim();
    make('greetlib', '1.0');
    make('greetlib', '0.9');
    make('greeter', '2.0', 'greetlib>=1');
    writeFastaddWheels(wheels);
    execFileSync('mkdir', ['-p', join(tmp, 'local')]);
    localWheel = execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, join(tmp, 'local'), 'localtool', '1.0', 'ok'], { encoding: 'utf8' }).trim();
    index = await servePipIndex(wheels);
    const channel = await writePythonChannel(join(tmp, 'channel'));
    const base = await debianBaseArchive(tmp);
    const env = join(tmp, 'environment.yml');
    writeFileSync(env, `channels: ["${channel.dir}"]\ndependencies:\n  - python\n  - pip:\n    - --index-url ${index.url}\n    - greeter==2.0\n    - fastadd\n    - ./local/localtool-1.0-py3-none-any.whl\n`);
    code = await main(['build', '-b', base, '-i', TAG, '--file', env, '-o', join(tmp, 'env.tar'), '--cache', join(tmp, 'cache')],
      { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
    if (code === 0) docker('load', '-i', join(tmp, 'env.tar'));
  }, 600_000);
  afterAll(async () => {
    await index?.close();
    spawnSync('docker', ['rmi', '-f', TAG], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the build resolves greeter and its dependency into one layer after the conda layers', () => {
    expect(err).not.toMatch(/error/);
    expect(code).toBe(0);
    const layers = /: 1 packages in (\d+) layers/.exec(out);
    expect(layers).not.toBeNull();
    const created = docker('history', '--no-trunc', '--format', '{{.CreatedBy}}', TAG).trim().split('\n');
    // the layers the build reports are the ones it added: conda, pip, meta
    expect(created.filter((c) => c.startsWith('docker-envs: '))).toHaveLength(Number(layers![1]));
    // newest first: the meta layer, then the pip layer
    expect(created[1]).toBe('docker-envs: pip install fastadd==1.1 greeter==2.0 greetlib==1.0 localtool==1.0');
  });

  it('the packages import from the prefix and their scripts run with the prefix\'s python', () => {
    const o = inImage('python -c "import greeter, greetlib; print(greeter.__file__); print(greetlib.VERSION)"; head -1 /opt/conda/bin/greeter-cli; greeter-cli; greeter-raw; cat /opt/conda/share/greeter/note.txt');
    expect(o.split('\n')).toEqual([`${SP}/greeter/__init__.py`, '1.0', '#!/opt/conda/bin/python', 'greeter 2.0 on /opt/conda/bin/python', 'raw 2.0', 'data file', '']);
  });

  it('Debian\'s pip lists them with INSTALLER docker-envs, and pip check passes', () => {
    const pip = ['-v', '/usr/share/python-wheels:/wheels:ro', '-e', `PYTHONPATH=/wheels/${pipWheel}`];
    const listed = JSON.parse(inImage('python -m pip list -v --format json --disable-pip-version-check', ...pip)) as Array<{ name: string; version: string; location: string; installer: string }>;
    // pip's own wheel on PYTHONPATH is listed too (from /wheels): only the prefix's packages count
    expect(listed.filter((p) => p.location === SP).map((p) => [p.name, p.version, p.location, p.installer]).sort()).toEqual([['fastadd', '1.1', SP, 'docker-envs'], ['greeter', '2.0', SP, 'docker-envs'], ['greetlib', '1.0', SP, 'docker-envs'], ['localtool', '1.0', SP, 'docker-envs']]);
    expect(inImage('python -m pip check --disable-pip-version-check', ...pip).trim()).toBe('No broken requirements found.');
    expect(inImage(`ls ${SP}/greeter-2.0.dist-info ${SP}/greetlib-1.0.dist-info ${SP}/fastadd-1.1.dist-info`).split('\n').filter((l) => l === 'REQUESTED')).toHaveLength(2);
    // pip reads the local wheel's direct_url.json: it is frozen as a URL requirement, the index's by version
    const local = { url: pathToFileURL(localWheel).href, sha256: createHash('sha256').update(readFileSync(localWheel)).digest('hex') };
    const frozen = inImage('python -m pip freeze --disable-pip-version-check', ...pip).trim().split('\n').filter((l) => /^(fastadd|greeter|greetlib|localtool)\b/.test(l));
    expect(frozen).toEqual(['fastadd==1.1', 'greeter==2.0', 'greetlib==1.0', `localtool @ ${local.url}#sha256=${local.sha256}`]);
    expect(JSON.parse(inImage(`cat ${SP}/localtool-1.0.dist-info/direct_url.json`))).toEqual({ url: local.url, archive_info: { hash: `sha256=${local.sha256}`, hashes: { sha256: local.sha256 } } });
  });

  it('the binary wheel of fastadd chosen by tag imports its compiled extension and runs it', () => {
    const o = inImage('python -c "import fastadd; print(fastadd.add(2, 3)); print(fastadd.TAG); print(fastadd._native.__file__)"');
    expect(o.split('\n')).toEqual(['5', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', `${SP}/fastadd/_native.cpython-311-x86_64-linux-gnu.so`, '']);
    expect(inImage(`cat ${SP}/fastadd-1.1.dist-info/WHEEL`)).toContain('Root-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n');
  });

  it('Debian\'s pip in the image, choosing among the same wheels for its python, picks the same file', () => {
    const pip = ['-v', '/usr/share/python-wheels:/wheels:ro', '-v', `${wheels}:/index:ro`, '-e', `PYTHONPATH=/wheels/${pipWheel}`];
    const report = JSON.parse(inImage('python -m pip install --dry-run --ignore-installed --no-deps --no-index --find-links /index --quiet --report - --disable-pip-version-check fastadd', ...pip)) as { install: Array<{ download_info: { url: string } }> };
    expect(report.install.map((i) => i.download_info.url)).toEqual([`file:///index/${FASTADD_X86_64}`]);
  });
});

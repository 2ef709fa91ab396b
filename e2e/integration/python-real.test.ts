/**
 * A real Python in the image: the `python` package made from Debian's python3 (e2e/conda-builder/python.ts),
 * the project's own noarch python packages and the fixtures' noarch python packages whose dependencies are in
 * the channel, built by `docker-envs build` on the Debian minbase base from a local channel folder, then in
 * dockerd: every package imports from the prefix's site-packages, every console entry point runs through its
 * shebang, `python -m pip --version` runs from Debian's pip wheel, and `PATH`, `sys.prefix`,
 * `site.getsitepackages()` and the loaded shared libraries all point into the prefix. The fixture packages
 * with a dependency the channel lacks are named with what is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { haveFixtures } from '../../src/test-support/fixtures';
import { writePythonChannel, type PythonChannel } from '../conda-builder/python-channel';
import { debianBaseArchive } from '../harness/debian';
import { dockerEnv, haveDocker } from '../harness/env';

const TAG = 'docker-envs.test/python-real:1';
const TAG_SRV = 'docker-envs.test/python-real-srv:1';
const SP = '/opt/conda/lib/python3.11/site-packages';
/** The module each installed noarch package provides, by package name. */
const MODULES: Record<string, string> = {
  'hello-py': 'hello_py', 'hello-cli': 'hello_cli.cli', 'conda-index-pkg-a': 'conda_index_pkg_a',
  sample_noarch_python: 'sample', 'clobber-pynoarch-1': 'clobber.clobber', 'clobber-pynoarch-2': 'clobber.clobber',
};
/** Each console entry point, the argument it is run with, and a line its output must hold. */
const ENTRY_POINTS: Array<[string, string, RegExp]> = [
  ['conda-index-pkg-a', '--help', /"PATH": "\/opt\/conda\/bin:/],
  ['conda-index-pkg-a-helper', '--help', /"PATH": "\/opt\/conda\/bin:/],
  ['hello-cli', '--version', /^hello-cli 2\.1 on \/opt\/conda\/bin\/python$/m],
  ['hello-py', '--help', /^entry point ok$/m],
];

const docker = (...args: string[]) => execFileSync('docker', args, { env: dockerEnv(), encoding: 'utf8' });
const inImage = (script: string, ...opts: string[]) => docker('run', '--rm', '--network', 'none', ...opts, TAG, 'sh', '-c', script);

describe.skipIf(!haveDocker || !haveFixtures)('a real python and noarch python packages in dockerd', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'python-real-'));
  let channel: PythonChannel;
  let installed: string[];
  let base: string;
  beforeAll(async () => {
    channel = await writePythonChannel(join(tmp, 'channel'));
    installed = [...channel.own, ...channel.fixtures.filter((f) => !f.missing.length).map((f) => f.name)];
    base = await debianBaseArchive(tmp);
    let out = '';
    let err = '';
    const code = await main(['build', '-b', base, '-i', TAG, '-p', 'python', ...installed.flatMap((n) => ['-p', n]), '-c', channel.dir, '-o', join(tmp, 'env.tar'), '--cache', join(tmp, 'cache')],
      { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
    expect(err).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`${installed.length + 1} packages`));
    docker('load', '-i', join(tmp, 'env.tar'));
  }, 600_000);
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', TAG, TAG_SRV], { env: dockerEnv() });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the fixture packages whose dependencies are absent are named with what is missing', () => {
    const skipped = channel.fixtures.filter((f) => f.missing.length).map((f) => ({ name: f.name, missing: f.missing }));
    console.log(`noarch python fixtures left out:\n${skipped.map((s) => `  ${s.name}: missing ${s.missing.join(', ')}`).join('\n')}`);
    expect(skipped).toEqual([
      { name: 'flask', missing: ['click', 'itsdangerous', 'jinja2', 'werkzeug'] },
      { name: 'moto', missing: ['aws-xray-sdk', 'backports.tempfile', 'boto', 'boto3', 'botocore', 'cookies', 'dicttoxml', 'docker-py', 'flask', 'jinja2', 'jsondiff', 'mock', 'pyaml', 'python-dateutil', 'python-jose', 'pytz', 'requests', 'responses', 'six', 'werkzeug', 'xmltodict'] },
    ]);
    expect(installed.sort()).toEqual(Object.keys(MODULES).sort());
  });

  it('PATH, sys.prefix, site.getsitepackages() and sysconfig point into the prefix; the shared libraries come from it', () => {
    const out = inImage('command -v python; python -c "import sys, site, sysconfig; print(sys.executable); print(sys.prefix, sys.base_prefix); print(site.getsitepackages()); print(sysconfig.get_paths()[\'purelib\']); print(sys.version.split()[0])"');
    expect(out.split('\n')).toEqual(['/opt/conda/bin/python', '/opt/conda/bin/python', '/opt/conda /opt/conda', `['${SP}']`, SP, channel.python.version, '']);
    // the standard library modules that load shared libraries beyond glibc: every library is the prefix's own
    const libs = inImage('python -c "import ssl, sqlite3, ctypes, lzma, bz2, zlib, pyexpat, decimal, uuid, readline, curses, dbm.ndbm, hashlib, _uuid; hashlib.sha256(b\'\'); print(\'\\n\'.join(sorted({l.split()[-1] for l in open(\'/proc/self/maps\') if \'.so\' in l})))"')
      .trim().split('\n');
    const glibc = new Set(['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6', 'libresolv.so.2', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1', 'libutil.so.1']);
    const outside = libs.filter((l) => !l.startsWith('/opt/conda/'));
    expect(outside.filter((l) => !glibc.has(l.replace(/^.*\//, '')))).toEqual([]);
    expect(outside.length).toBeGreaterThan(0);
    expect(libs).toEqual(expect.arrayContaining(['/opt/conda/lib/libssl.so.3', '/opt/conda/lib/libz.so.1', '/opt/conda/lib/libexpat.so.1', '/opt/conda/lib/libsqlite3.so.0', '/opt/conda/lib/libffi.so.8']));
  });

  it('every noarch python package imports from the prefix\'s site-packages', () => {
    const modules = [...new Set(Object.values(MODULES))];
    const out = inImage(`python -c "import importlib; [print(m, importlib.import_module(m).__file__) for m in ${JSON.stringify(modules).replace(/"/g, '\'')}]"`);
    // clobber.py prints as it is imported
    expect(out.trim().split('\n').sort()).toEqual(['hello world', ...modules.map((m) => `${m} ${SP}/${m.replace(/\./g, '/')}${m.includes('.') || m === 'sample' ? '.py' : '/__init__.py'}`)].sort());
  });

  it('every console entry point runs through its shebang, which names the prefix\'s python', () => {
    const listed = inImage(`grep -l unix_python_entry_point /opt/conda/conda-meta/*.json >/dev/null && python -c "import json, glob; [print(p['_path']) for f in glob.glob('/opt/conda/conda-meta/*.json') for p in json.load(open(f))['paths_data']['paths'] if p['path_type'] == 'unix_python_entry_point']"`);
    expect(listed.trim().split('\n').sort()).toEqual(ENTRY_POINTS.map(([n]) => `bin/${n}`).sort());
    for (const [name, arg, want] of ENTRY_POINTS) {
      const out = inImage(`head -1 /opt/conda/bin/${name}; ${name} ${arg}`);
      expect(out.split('\n')[0]).toBe('#!/opt/conda/bin/python');
      expect(out).toMatch(want);
    }
  });

  it('python -m pip --version runs from Debian\'s pip wheel', () => {
    const wheel = readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-'));
    expect(wheel).toBeDefined();
    const out = inImage('python -m pip --version', '-v', '/usr/share/python-wheels:/wheels:ro', '-e', `PYTHONPATH=/wheels/${wheel}`);
    expect(out.trim()).toMatch(new RegExp(`^pip ${wheel!.split('-')[1].replace(/\./g, '\\.')} from /wheels/${wheel!.replace(/\./g, '\\.')}/pip \\(python 3\\.11\\)$`));
  });

  it('no .pyc in site-packages: the first import writes the cache where it can, a read-only image imports without it', () => {
    const probe = `python -c "import time; t = time.perf_counter(); import conda_index_pkg_a; print(round((time.perf_counter() - t) * 1e6))"`;
    const pyc = `${SP}/conda_index_pkg_a/__pycache__`;
    // a fresh container (cold files) writes the cache; then warm without the cache (compiles) and with it
    const out = inImage(`ls ${SP}/conda_index_pkg_a; ${probe}; ls ${pyc}; rm -r ${pyc}; ${probe}; ${probe}; ls ${pyc}`).trim().split('\n');
    expect(out[0]).toBe('__init__.py');
    expect(out[2]).toBe('__init__.cpython-311.pyc');
    expect(out[5]).toBe('__init__.cpython-311.pyc');
    const ro = inImage(`${probe}; ls ${SP}/conda_index_pkg_a`, '--read-only').trim().split('\n');
    expect(ro[1]).toBe('__init__.py');
    expect(ro).toHaveLength(2);
    console.log(`import conda_index_pkg_a: fresh container ${out[1]} µs (writes __pycache__); warm without cache ${out[3]} µs, with it ${out[4]} µs; fresh read-only container ${ro[0]} µs`);
  });

  it('in another prefix (--prefix /srv/env) the same package finds itself there: no path of /opt/conda is built in', async () => {
    let err = '';
    const code = await main(['build', '-b', base, '-i', TAG_SRV, '-p', 'python', '-p', 'hello-cli', '-c', channel.dir, '--prefix', '/srv/env', '-o', join(tmp, 'srv.tar'), '--cache', join(tmp, 'cache')],
      { write: () => {} }, { write: (s: string) => { err += s; } });
    expect(err).not.toMatch(/error/);
    expect(code).toBe(0);
    docker('load', '-i', join(tmp, 'srv.tar'));
    const out = docker('run', '--rm', '--network', 'none', TAG_SRV, 'sh', '-c',
      'command -v python; head -1 /srv/env/bin/hello-cli; hello-cli --version; python -c "import sys, site, zlib; print(sys.prefix); print(site.getsitepackages()); print([l.split()[-1] for l in open(\'/proc/self/maps\') if \'libz.so\' in l][0])"');
    expect(out.split('\n')).toEqual(['/srv/env/bin/python', '#!/srv/env/bin/python', 'hello-cli 2.1 on /srv/env/bin/python', '/srv/env', "['/srv/env/lib/python3.11/site-packages']", '/srv/env/lib/libz.so.1', '']);
  }, 300_000);
});

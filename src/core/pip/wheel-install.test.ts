/**
 * The wheel installer against Debian's pip (its python3-pip-whl wheel, run by Debian's python3 in a venv with
 * `--no-compile --no-deps`) as the oracle: the same installed files, the same RECORD rows and hashes for the
 * wheel's own files, the same `#!python` rewriting, the same direct_url.json for a wheel named by URL; plus a
 * tampered wheel and a `../` member, which fail with errors naming the member.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from './record';
import { directUrlJson, installWheel } from './wheel-install';
import { MAKE_WHEEL } from '../../test-support/wheels';

const PY = '/usr/bin/python3';
const WHEELS = '/usr/share/python-wheels';
const pipWheel = (() => { try { return readdirSync(WHEELS).find((f) => f.startsWith('pip-')); } catch { return undefined; } })();
const haveOracle = spawnSync(PY, ['-c', 'import zipfile, venv']).status === 0 && pipWheel !== undefined;
if (!haveOracle && process.env.CI === 'true') throw new Error(`${PY} and Debian's python3-pip-whl are required under CI=true`);


describe.skipIf(!haveOracle)('installing a wheel as pip does', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wheel-install-'));
  const make = (name: string, mode = 'ok') => {
    const r = spawnSync(PY, ['-c', MAKE_WHEEL, tmp, name, '1.0', mode], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  };
  const venv = join(tmp, 'venv');
  let wheel = '';
  beforeAll(() => {
    wheel = make('hellowheel');
    expect(spawnSync(PY, ['-m', 'venv', '--without-pip', venv]).status).toBe(0);
    const r = spawnSync(join(venv, 'bin/python'), [join(WHEELS, pipWheel!, 'pip'), 'install', '-q', '--no-compile', '--no-deps', '--no-index', wheel], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('installs the files pip installs, with the RECORD pip writes for the wheel\'s own files', async () => {
    const got = await installWheel(await openAsBlob(wheel), 'hellowheel-1.0-py3-none-any.whl', { prefix: venv, pythonVersion: '3.11', requested: true });
    const sp = 'lib/python3.11/site-packages';
    // pip writes direct_url.json (PEP 610) for a wheel given as a file; a wheel from an index has none
    const pipRecord = parseRecord(readFileSync(join(venv, sp, 'hellowheel-1.0.dist-info/RECORD'), 'utf8'), 'pip')
      .filter((r) => !r.path.endsWith('/direct_url.json'));
    const pipFiles = pipRecord.map((r) => (r.path.startsWith('../../../') ? r.path.slice(9) : `${sp}/${r.path}`)).sort();
    expect(got.files.slice().sort()).toEqual(pipFiles);
    expect(got.entries.map((e) => e.name).sort()).toEqual(pipFiles.map((f) => `${venv.slice(1)}/${f}`).sort());
    const ours = parseRecord(new TextDecoder().decode(got.entries.find((e) => e.name.endsWith('/RECORD'))!.body as Uint8Array), 'ours');
    const differ = new Set(['hellowheel-1.0.dist-info/INSTALLER', '../../../bin/hellowheel-cli']); // our INSTALLER and launcher text
    expect(ours.map((r) => r.path)).toEqual(pipRecord.map((r) => r.path));
    expect(ours.filter((r) => !differ.has(r.path))).toEqual(pipRecord.filter((r) => !differ.has(r.path)));
    const body = async (rel: string) => {
      const e = got.entries.find((x) => x.name === `${venv.slice(1)}/${rel}`)!;
      return typeof e.body === 'function' ? await new Response(e.body()).text() : new TextDecoder().decode(e.body as Uint8Array);
    };
    expect(await body('bin/hellowheel-raw')).toBe(readFileSync(join(venv, 'bin/hellowheel-raw'), 'utf8'));
    expect(await body(`${sp}/hellowheel/cli.py`)).toBe(readFileSync(join(venv, sp, 'hellowheel/cli.py'), 'utf8'));
    expect(await body(`${sp}/hellowheel-1.0.dist-info/INSTALLER`)).toBe('docker-envs\n');
    expect((await body('bin/hellowheel-cli')).split('\n')[0]).toBe(readFileSync(join(venv, 'bin/hellowheel-cli'), 'utf8').split('\n')[0]);
    expect(got.entries.find((e) => e.name.endsWith('bin/hellowheel-raw'))!.mode).toBe(0o755);
    // the launcher runs with the venv's python and imports the package from the venv
    const run = spawnSync(join(venv, 'bin/python'), ['-c', (await body('bin/hellowheel-cli')).split('\n').slice(1).join('\n')], { encoding: 'utf8' });
    expect(run.stdout).toBe(`hellowheel 1.0 on ${join(venv, 'bin/python')}\n`);
  });

  it('a wheel named by URL gets the direct_url.json pip writes for it (PEP 610), listed in RECORD as pip lists it', async () => {
    const named = make('namedwheel');
    const hex = createHash('sha256').update(readFileSync(named)).digest('hex');
    const url = pathToFileURL(named).href;
    const venv2 = join(tmp, 'venv2');
    expect(spawnSync(PY, ['-m', 'venv', '--without-pip', venv2]).status).toBe(0);
    // pip records the URL and, when the URL names its sha256, the hash
    const r = spawnSync(join(venv2, 'bin/python'), [join(WHEELS, pipWheel!, 'pip'), 'install', '-q', '--no-compile', '--no-deps', '--no-index', `${url}#sha256=${hex}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const sp = 'lib/python3.11/site-packages';
    const di = 'namedwheel-1.0.dist-info';
    const pipSp = join(venv2, sp);
    const got = await installWheel(await openAsBlob(named), 'namedwheel-1.0-py3-none-any.whl', { prefix: venv2, pythonVersion: '3.11', requested: true, directUrl: { url, sha256: hex } });
    const entry = got.entries.find((e) => e.name === `${venv2.slice(1)}/${sp}/${di}/direct_url.json`)!;
    expect(new TextDecoder().decode(entry.body as Uint8Array)).toBe(readFileSync(join(pipSp, di, 'direct_url.json'), 'utf8'));
    expect(got.files).toContain(`${sp}/${di}/direct_url.json`);
    const ours = parseRecord(new TextDecoder().decode(got.entries.find((e) => e.name.endsWith('/RECORD'))!.body as Uint8Array), 'ours');
    const pips = parseRecord(readFileSync(join(pipSp, di, 'RECORD'), 'utf8'), 'pip');
    expect(ours.find((x) => x.path === `${di}/direct_url.json`)).toEqual(pips.find((x) => x.path === `${di}/direct_url.json`));
    // a wheel from an index has none
    const plain = await installWheel(await openAsBlob(named), 'namedwheel-1.0-py3-none-any.whl', { pythonVersion: '3.11' });
    expect(plain.files.filter((f) => f.endsWith('direct_url.json'))).toEqual([]);
  });

  it('direct_url.json is JSON as Python writes it: keys sorted, non-ASCII escaped', () => {
    const text = directUrlJson('file:///w/caf%C3%A9/x-1.0-py3-none-any.whl?q="a"\u00e9', 'ab'.repeat(32));
    expect(text).toBe(`{"archive_info": {"hash": "sha256=${'ab'.repeat(32)}", "hashes": {"sha256": "${'ab'.repeat(32)}"}}, "url": "file:///w/caf%C3%A9/x-1.0-py3-none-any.whl?q=\\"a\\"\\u00e9"}`);
    expect(JSON.parse(text)).toEqual({ archive_info: { hash: `sha256=${'ab'.repeat(32)}`, hashes: { sha256: 'ab'.repeat(32) } }, url: 'file:///w/caf%C3%A9/x-1.0-py3-none-any.whl?q="a"\u00e9' });
  });

  it('a member whose bytes differ from RECORD is an error naming it', async () => {
    const bad = make('tampered', 'tamper');
    await expect(installWheel(await openAsBlob(bad), 'tampered-1.0-py3-none-any.whl', { pythonVersion: '3.11' }))
      .rejects.toMatchObject({ code: 'digest-mismatch', message: expect.stringMatching(/tampered\/__init__\.py does not match its RECORD hash/) });
  });

  it('a member with ../ in its name is refused', async () => {
    const bad = make('unsafe', 'unsafe');
    await expect(installWheel(await openAsBlob(bad), 'unsafe-1.0-py3-none-any.whl', { pythonVersion: '3.11' }))
      .rejects.toMatchObject({ code: 'unsafe-path', message: expect.stringMatching(/unsafe\/\.\.\/\.\.\/evil\.py/) });
  });
});

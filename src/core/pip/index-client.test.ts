/**
 * The index client against a small PEP 691/503 index served on loopback by the test, with real wheels that
 * Python's own zipfile writes: JSON and HTML pages, yanked files, requires-python, metadata from PEP 658/714
 * `.metadata` files (hash-checked) and from the wheel itself by HTTP Range reads.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchProjectPage, fetchWheelMetadata, type IndexFile } from './index-client';
import { indexSource } from './index-source';
import { parseRequirement } from './requirement';
import { resolvePip } from './resolver';
import { parseCoreMetadata, parseWheelName } from './wheel';
import { formatVersion } from './version';

const PY = '/usr/bin/python3';
const havePython = spawnSync(PY, ['-c', 'import zipfile']).status === 0;
if (!havePython && process.env.CI === 'true') throw new Error(`${PY} is required under CI=true`);

const MAKE_WHEELS = String.raw`
import os, sys, zipfile
out = sys.argv[1]
def wheel(name, version, meta, pad=0):
    fn = f"{name}-{version}-py3-none-any.whl"
    di = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(os.path.join(out, fn), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}/__init__.py", "VALUE = 1\n")
        if pad: z.writestr(zipfile.ZipInfo(f"{name}/blob.bin"), os.urandom(pad), zipfile.ZIP_STORED)
        z.writestr(f"{di}/METADATA", meta)
        z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{di}/RECORD", "")
    with open(os.path.join(out, fn + ".metadata"), "w") as f: f.write(meta)
wheel("alpha", "1.0", "Metadata-Version: 2.1\nName: Alpha\nVersion: 1.0\nRequires-Python: >=3.8\nRequires-Dist: beta>=1\nRequires-Dist: gamma ; extra == 'x'\nProvides-Extra: X\n\nLong text: not a header\n", 400_000)
wheel("alpha", "2.0", "Metadata-Version: 2.1\nName: alpha\nVersion: 2.0\nRequires-Python: >=3.12\n")
wheel("beta", "1.0", "Metadata-Version: 2.1\nName: beta\nVersion: 1.0\nSummary: a summary\n  continued\n")
`;

interface Req { url: string; range?: string; bytes: number }
let dir = '';
let server: Server;
let base = '';
let mode: 'json' | 'html' = 'json';
let honourRange = true;
let tamper = false;
const log: Req[] = [];
const sha = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');

function files(project: string) {
  const all = [
    { filename: 'alpha-1.0-py3-none-any.whl', rp: '>=3.8', metadata: false },
    { filename: 'alpha-1.0.tar.gz', rp: '>=3.8', metadata: false },
    { filename: 'alpha-2.0-py3-none-any.whl', rp: '>=3.12', yanked: 'broken', metadata: true },
    { filename: 'beta-1.0-py3-none-any.whl', metadata: true },
  ];
  return all.filter((f) => f.filename.startsWith(`${project}-`));
}

function page(project: string): [string, string] {
  const fs = files(project);
  if (mode === 'json') {
    return ['application/vnd.pypi.simple.v1+json', JSON.stringify({
      meta: { 'api-version': '1.1' }, name: project,
      files: fs.map((f) => ({
        filename: f.filename, url: `../../files/${f.filename}`, hashes: f.filename.endsWith('.whl') ? { sha256: sha(f.filename) } : {},
        ...(f.rp ? { 'requires-python': f.rp } : {}), ...(f.yanked ? { yanked: f.yanked } : {}),
        ...(f.metadata ? { 'core-metadata': { sha256: sha(`${f.filename}.metadata`) } } : {}),
      })),
    })];
  }
  const a = fs.map((f) => `<a href="../../files/${f.filename}${f.filename.endsWith('.whl') ? `#sha256=${sha(f.filename)}` : ''}"` +
    (f.rp ? ` data-requires-python="${f.rp.replace('>', '&gt;')}"` : '') + (f.yanked !== undefined ? ` data-yanked="${f.yanked}"` : '') +
    (f.metadata ? ` data-dist-info-metadata="sha256=${sha(`${f.filename}.metadata`)}"` : '') + `>${f.filename}</a><br/>`);
  return ['text/html; charset=utf-8', `<!DOCTYPE html><html><body><h1>Links for ${project}</h1>${a.join('\n')}</body></html>`];
}

beforeAll(async () => {
  if (!havePython) return;
  dir = mkdtempSync(join(tmpdir(), 'pip-index-'));
  const r = spawnSync(PY, ['-c', MAKE_WHEELS, dir]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const send = (status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}) => {
      const b = typeof body === 'string' ? Buffer.from(body) : body;
      log.push({ url, ...(req.headers.range ? { range: req.headers.range } : {}), bytes: b.length });
      res.writeHead(status, { 'content-type': type, 'content-length': String(b.length), ...headers }).end(b);
    };
    const proj = /^\/simple\/([^/]+)\/$/.exec(url);
    if (proj) return files(proj[1]!).length ? send(200, ...page(proj[1]!)) : send(404, 'text/plain', 'not found');
    const file = /^\/files\/([\w.-]+)$/.exec(url);
    if (!file) return send(404, 'text/plain', 'not found');
    let body = readFileSync(join(dir, file[1]!));
    if (tamper && url.endsWith('.metadata')) body = Buffer.concat([body, Buffer.from('Requires-Dist: evil\n')]);
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m || !honourRange) return send(200, 'application/octet-stream', body);
    const start = m[1] ? Number(m[1]) : Math.max(0, body.length - Number(m[2]));
    const end = m[1] && m[2] ? Number(m[2]) : body.length - 1;
    send(206, 'application/octet-stream', body.subarray(start, end + 1), { 'content-range': `bytes ${start}-${end}/${body.length}` });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/simple/`;
});
afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const doFetch = (url: string, init?: RequestInit) => fetch(url, init);
const byName = (fs: readonly IndexFile[], n: string) => fs.find((f) => f.filename === n)!;

describe.skipIf(!havePython)('index client', () => {
  it.each(['json', 'html'] as const)('reads a %s project page: hashes, requires-python, yanked, metadata', async (m) => {
    mode = m;
    const p = await fetchProjectPage(doFetch, base.slice(0, -1), 'Alpha');
    expect(p.format).toBe(m);
    expect(p.files.map((f) => f.filename)).toEqual(['alpha-1.0-py3-none-any.whl', 'alpha-1.0.tar.gz', 'alpha-2.0-py3-none-any.whl']);
    expect(byName(p.files, 'alpha-1.0-py3-none-any.whl')).toEqual({
      filename: 'alpha-1.0-py3-none-any.whl', url: base.replace('/simple/', '/files/alpha-1.0-py3-none-any.whl'),
      hashes: { sha256: sha('alpha-1.0-py3-none-any.whl') }, requiresPython: '>=3.8', yanked: false, metadata: false,
    });
    expect(byName(p.files, 'alpha-2.0-py3-none-any.whl')).toMatchObject({
      requiresPython: '>=3.12', yanked: 'broken', metadata: { sha256: sha('alpha-2.0-py3-none-any.whl.metadata') },
    });
  });

  it('takes metadata from the .metadata file, checked against its hash, without touching the wheel', async () => {
    mode = 'html';
    const p = await fetchProjectPage(doFetch, base, 'beta');
    log.length = 0;
    const md = await fetchWheelMetadata(doFetch, p.files[0]!);
    expect(md).toEqual({ name: 'beta', version: '1.0', requiresDist: [], providesExtra: [] });
    expect(log.map((r) => r.url)).toEqual(['/files/beta-1.0-py3-none-any.whl.metadata']);
    tamper = true;
    try {
      await expect(fetchWheelMetadata(doFetch, p.files[0]!)).rejects.toMatchObject({ code: 'digest-mismatch', message: expect.stringContaining('beta-1.0-py3-none-any.whl.metadata: sha256') });
    } finally { tamper = false; }
  });

  it('reads METADATA from the wheel by Range requests, fetching a small part of it', async () => {
    mode = 'json';
    const p = await fetchProjectPage(doFetch, base, 'alpha');
    log.length = 0;
    const md = await fetchWheelMetadata(doFetch, byName(p.files, 'alpha-1.0-py3-none-any.whl'));
    expect(md).toEqual({ name: 'Alpha', version: '1.0', requiresPython: '>=3.8', requiresDist: ['beta>=1', "gamma ; extra == 'x'"], providesExtra: ['x'] });
    const size = readFileSync(join(dir, 'alpha-1.0-py3-none-any.whl')).length;
    expect(log.every((r) => r.range)).toBe(true);
    expect(log.reduce((n, r) => n + r.bytes, 0)).toBeLessThan(size / 4);
    // a server that ignores Range sends the whole wheel, which is read whole
    honourRange = false;
    try {
      log.length = 0;
      expect(await fetchWheelMetadata(doFetch, byName(p.files, 'alpha-1.0-py3-none-any.whl'))).toEqual(md);
      expect(log.map((r) => r.bytes)).toEqual([size]);
    } finally { honourRange = true; }
  });

  it('resolves over two indexes: yanked and too-new-Python releases skipped, a project on both indexes merged with a warning', async () => {
    mode = 'json';
    const warnings: string[] = [];
    const src = indexSource(doFetch, [base, base.replace('127.0.0.1', 'localhost')], (w) => warnings.push(w));
    const target = { python: '3.11.4', markers: { python_version: '3.11' }, tags: [{ python: 'py3', abi: 'none', platform: 'any' }] };
    const pins = await resolvePip([parseRequirement('alpha')], target, src);
    expect(pins.map((p) => [p.key, formatVersion(p.version), p.file.filename, p.requested])).toEqual([
      ['alpha', '1.0', 'alpha-1.0-py3-none-any.whl', true], ['beta', '1.0', 'beta-1.0-py3-none-any.whl', false],
    ]);
    expect(warnings).toEqual([
      `alpha is on more than one index (${base}, ${base.replace('127.0.0.1', 'localhost')}): their files are merged`,
      `beta is on more than one index (${base}, ${base.replace('127.0.0.1', 'localhost')}): their files are merged`,
    ]);
    const one = indexSource(doFetch, [base]);
    await expect(resolvePip([parseRequirement('alpha>=2')], target, one)).rejects.toMatchObject({ code: 'solve-failed', message: 'pip requirements cannot be satisfied: no version of alpha satisfies alpha>=2' });
    expect(await one.files('nope')).toEqual([]);
  });

  it('says which project is missing', async () => {
    await expect(fetchProjectPage(doFetch, base, 'nope')).rejects.toMatchObject({ code: 'index-error', message: `nope: no such project on the index ${base}` });
  });
});

describe('wheel names and core metadata', () => {
  it('parses names with build tags and compressed tag sets, and refuses other files', () => {
    const w = parseWheelName('Foo_Bar-1.0.post1-2-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')!;
    expect({ ...w, version: formatVersion(w.version) }).toEqual({
      name: 'foo-bar', version: '1.0.post1', build: '2',
      tags: ['py2', 'py3'].flatMap((python) => ['manylinux_2_17_x86_64', 'manylinux2014_x86_64'].map((platform) => ({ python, abi: 'none', platform }))),
    });
    expect(parseWheelName('foo-1.0.tar.gz')).toBeUndefined();
    expect(parseWheelName('foo-notaversion!-py3-none-any.whl')).toBeUndefined();
    expect(parseWheelName('foo-1.0-x-py3-none-any.whl')).toBeUndefined();
  });
  it('reads headers up to the body, with continuation lines, and needs Name and Version', () => {
    const md = parseCoreMetadata('Name: a\nVersion: 1\nRequires-Dist: b;\n  python_version < "3"\n\nRequires-Dist: c\n');
    expect(md.requiresDist).toEqual(['b;\npython_version < "3"']);
    expect(() => parseCoreMetadata('Name: a\n')).toThrow(expect.objectContaining({ code: 'index-error' }));
  });
});

/** writeTar / tarSize: deterministic bytes, GNU tar as the oracle for listing and extraction. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SizeMismatchError } from '../errors';
import { GNU_TAR, gnuList, hex } from './gnu-oracle.node';
import { indexTar, readTar, tarBytes, tarPieces, tarSize, writeTar, type TarWriteEntry } from './index';
import { encodeHeaders } from './writer';

const enc = new TextEncoder();
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const longName = `${'dir/'.repeat(20)}${'n'.repeat(220)}`; // 300 chars, no ustar split possible
const longLink = `../${'t'.repeat(250)}`;

function sample(): TarWriteEntry[] {
  return [
    { name: 'a', type: 'directory', mtime: 1700000000 },
    { name: 'a/file.txt', type: 'file', body: enc.encode('hello\n'), mtime: 1700000000.9, mode: 0o600 },
    { name: 'a/blob.bin', type: 'file', body: new Blob([new Uint8Array(1000).fill(7)]) },
    { name: 'a/stream.bin', type: 'file', size: 3, body: () => new Blob(['xyz']).stream() },
    { name: longName, type: 'file', body: enc.encode('long') },
    { name: 'λλλ/❤ unicode.txt', type: 'file', body: enc.encode('♥'), uid: 4294967294, gid: 2097152, uname: 'ünï', gname: 'g'.repeat(40) },
    { name: 'a/sym', type: 'symlink', linkname: longLink },
    { name: 'a/hard', type: 'hardlink', linkname: 'a/file.txt' },
    { name: 'a/null', type: 'char', devmajor: 1, devminor: 3 },
    { name: 'a/sda', type: 'block', devmajor: 8, devminor: 0 },
    { name: 'a/fifo', type: 'fifo' },
    { name: 'a/.wh.gone', type: 'file' },
    { name: 'a/xattr', type: 'file', pax: { 'SCHILY.xattr.user.k': 'v' } },
  ];
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('writeTar', () => {
  it('is deterministic, and tarSize predicts the length', async () => {
    const a = await bytesOf(writeTar(sample()));
    const b = await bytesOf(writeTar((async function* () { yield* sample(); })()));
    expect(hex(a)).toBe(hex(b));
    expect(a.length).toBe(tarSize(sample()));
    expect(a.length % 512).toBe(0);
    expect(a.subarray(a.length - 1024).every((x) => x === 0)).toBe(true);
    // no PIDs or host data in PAX header names
    expect(Buffer.from(a).toString('latin1')).toContain('PaxHeaders/');
    expect(Buffer.from(a).toString('latin1')).not.toMatch(/PaxHeaders\.\d/);
  });

  it('is listed by GNU tar as written, and our index agrees', async () => {
    const bytes = await bytesOf(writeTar(sample()));
    const gnu = gnuList(bytes);
    expect(gnu.status).toBe(0);
    expect(gnu.stderr).toEqual([]);
    const want = sample().map((e) => hex(enc.encode(e.type === 'directory' ? `${e.name}/` : e.name)));
    expect(gnu.rows.map((r) => r.name)).toEqual(want);
    const byName = new Map(gnu.rows.map((r) => [r.name, r]));
    const row = (n: string) => byName.get(hex(enc.encode(n)))!;
    expect(row('a/').typeChar).toBe('d');
    expect(row('a/').mode).toBe(0o755);
    expect(row('a/file.txt')).toMatchObject({ mode: 0o600, size: '6', mtime: 1700000000, frac: '' });
    expect(row('a/blob.bin')).toMatchObject({ mode: 0o644, uid: 0, gid: 0, size: '1000', mtime: 0 });
    expect(row(longName).size).toBe('4');
    expect(row('λλλ/❤ unicode.txt')).toMatchObject({ uid: 4294967294, gid: 2097152 });
    expect(row('a/sym')).toMatchObject({ typeChar: 'l', link: hex(enc.encode(longLink)) });
    expect(row('a/hard')).toMatchObject({ typeChar: 'h', link: hex(enc.encode('a/file.txt')) });
    expect(row('a/null')).toMatchObject({ typeChar: 'c', size: '1,3' });
    expect(row('a/sda')).toMatchObject({ typeChar: 'b', size: '8,0' });
    expect(row('a/fifo').typeChar).toBe('p');
    const index = await indexTar(new Blob([bytes]));
    expect(index.warnings).toEqual([]);
    expect(index.size).toBe(bytes.length);
    expect(index.entries.map((e) => hex(e.nameBytes))).toEqual(want);
    const u = index.entries[5];
    expect([u.uname, u.gname]).toEqual(['ünï', 'g'.repeat(40)]);
    expect(index.entries[12].pax?.['SCHILY.xattr.user.k']).toBe('v');
  });

  it('owner names read back per entry as written, each header field on its own (repeats, a name one byte longer or shorter, the other field, empty)', async () => {
    const owners: Array<[string, string]> = [['root', 'root'], ['root', 'root'], ['roo', 'root'], ['rooz', 'root'], ['root', 'roo'], ['', ''], ['', 'x'], ['a'.repeat(31), 'a'.repeat(31)], ['a'.repeat(30) + 'b', 'root']];
    const index = await indexTar(new Blob([tarBytes(owners.map(([uname, gname], i): TarWriteEntry => ({ name: `f${i}`, type: 'file', uname, gname }))) as BlobPart]));
    expect(index.entries.map((e) => [e.uname, e.gname])).toEqual(owners);
    expect(index.entries.every((e) => e.pax === undefined)).toBe(true); // in the header fields, not PAX records
  });

  it('extracts with GNU tar to identical bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-x-'));
    dirs.push(dir);
    const file = join(dir, 'out.tar');
    const entries = sample().filter((e) => e.type !== 'char' && e.type !== 'block' && !e.pax);
    writeFileSync(file, await bytesOf(writeTar(entries)));
    const root = join(dir, 'root');
    const x = spawnSync('sh', ['-c', `mkdir -p "${root}" && ${GNU_TAR} -xf "${file}" -C "${root}"`]);
    expect(x.stderr.toString()).toBe('');
    expect(x.status).toBe(0);
    expect(readFileSync(join(root, 'a/file.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(root, 'a/blob.bin')).equals(Buffer.alloc(1000, 7))).toBe(true);
    expect(readFileSync(join(root, 'a/stream.bin'), 'utf8')).toBe('xyz');
    expect(readFileSync(join(root, longName), 'utf8')).toBe('long');
    expect(readFileSync(join(root, 'λλλ/❤ unicode.txt'), 'utf8')).toBe('♥');
    expect(readlinkSync(join(root, 'a/sym'))).toBe(longLink);
    expect(lstatSync(join(root, 'a/hard')).ino).toBe(lstatSync(join(root, 'a/file.txt')).ino);
    expect(lstatSync(join(root, 'a/fifo')).isFIFO()).toBe(true);
    expect(lstatSync(join(root, 'a/.wh.gone')).size).toBe(0);
    expect(lstatSync(join(root, 'a/file.txt')).mode & 0o7777).toBe(0o600);
  });

  it('writes sizes of 8 GiB and more through PAX (header and tarSize only)', async () => {
    const big = 9 * 2 ** 30 + 5;
    const e: TarWriteEntry = { name: 'huge.bin', type: 'file', size: big, body: () => new ReadableStream() };
    const { headers, size } = encodeHeaders(e);
    expect(size).toBe(big);
    expect(tarSize([e])).toBe(headers.length + Math.ceil(big / 512) * 512 + 1024);
    const gnu = gnuList(headers); // GNU lists the header, then stops at the missing data
    expect(gnu.rows[0]).toMatchObject({ name: hex(enc.encode('huge.bin')), size: String(big) });
    const err = await indexTar(new Blob([headers.slice()])).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'tar-truncated' });
  });

  it('rejects bodies longer or shorter than size', async () => {
    for (const n of [2, 4]) {
      const s = writeTar([{ name: 'f', type: 'file', size: 3, body: () => new Blob([new Uint8Array(n)]).stream() }]);
      await expect(bytesOf(s)).rejects.toBeInstanceOf(SizeMismatchError);
    }
    expect(() => tarSize([{ name: 'f', type: 'file', size: 3, body: new Uint8Array(2) }])).toThrow(SizeMismatchError);
    expect(() => tarSize([{ name: 'f', type: 'file', body: () => new ReadableStream() }])).toThrow(/no size/);
    expect(() => tarSize([{ name: 'l', type: 'symlink' }])).toThrow(/link target/);
  });

  it('deferSize: the header is written with size 0 and the real one handed to onPatch; patched bytes equal the sized tar', async () => {
    const body = new Uint8Array(70_000).map((_, i) => i * 7);
    const sized: TarWriteEntry[] = [
      { name: 'before', type: 'file', body: enc.encode('x') },
      { name: 'layer', type: 'file', size: body.length, body: () => new Blob([body]).stream() },
      { name: 'empty', type: 'file', size: 0, body: () => new Blob([]).stream() },
      { name: 'after', type: 'file', body: enc.encode('yz') },
    ];
    const want = await bytesOf(writeTar(sized));
    const patches: [number, Uint8Array][] = [];
    const deferred = sized.map((e) => (typeof e.body === 'function' ? { ...e, size: undefined, deferSize: true } : e));
    const got = await bytesOf(writeTar(deferred, { onPatch: (o, h) => patches.push([o, h]) }));
    expect(got.length).toBe(want.length);
    expect(patches.map(([o]) => o)).toEqual([1024, 1024 + 512 + 70_144]);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(false); // size 0 in the placeholder header
    for (const [o, h] of patches) got.set(h, o);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    // without a seekable sink, or with a sized/in-memory body, deferSize is refused
    await expect(bytesOf(writeTar(deferred))).rejects.toThrow(/sink that can seek/);
    await expect(bytesOf(writeTar([{ name: 'f', type: 'file', deferSize: true, body: enc.encode('a') }], { onPatch: () => {} }))).rejects.toThrow(/stream body and no size/);
  });

  it('round-trips through readTar with bodies', async () => {
    const bytes = await bytesOf(writeTar(sample()));
    const got: [string, string][] = [];
    for await (const { entry, body } of readTar(new Blob([bytes]).stream())) got.push([entry.name, await new Response(body).text()]);
    expect(got[1]).toEqual(['a/file.txt', 'hello\n']);
    expect(got[3]).toEqual(['a/stream.bin', 'xyz']);
    expect(got[5]).toEqual(['λλλ/❤ unicode.txt', '♥']);
  });

  it('tarPieces: the bytes of tarBytes and writeTar, with the bodies it is allowed to view left uncopied', async () => {
    const big = new Uint8Array(70_001).map((_, i) => i * 13);
    const other = new Uint8Array(1_000).map((_, i) => i * 5);
    const entries: TarWriteEntry[] = [
      { name: 'a/', type: 'directory' },
      { name: 'a/big', type: 'file', body: big },
      { name: 'a/big2', type: 'file', body: big.subarray(1, 600) },
      { name: 'a/empty', type: 'file', body: new Uint8Array(0) },
      { name: 'a/other', type: 'file', body: other },
      { name: `a/${'long/'.repeat(40)}name`, type: 'file', body: big.subarray(5) },
      { name: 'a/link', type: 'symlink', linkname: 'big' },
    ];
    const want = await bytesOf(writeTar(entries));
    expect(Buffer.from(tarBytes(entries)).equals(Buffer.from(want))).toBe(true);
    const { pieces, size } = tarPieces(entries, (b) => b.buffer === big.buffer);
    expect(size).toBe(want.length);
    expect(Buffer.concat(pieces).equals(Buffer.from(want))).toBe(true);
    // the viewed bodies are the entries' own bytes (an empty body is never a piece); the rest shares one buffer
    expect(pieces.filter((p) => p.buffer === big.buffer)).toEqual([big, big.subarray(1, 600), big.subarray(5)]);
    expect(new Set(pieces.filter((p) => p.buffer !== big.buffer).map((p) => p.buffer)).size).toBe(1);
    expect(pieces.reduce((n, p) => n + (p.buffer === big.buffer ? 0 : p.byteLength), 0)).toBe(want.length - 70_001 - 599 - 69_996);
    // nothing viewed: one piece, the whole tar
    expect(tarPieces(entries).pieces).toHaveLength(1);
  });
});

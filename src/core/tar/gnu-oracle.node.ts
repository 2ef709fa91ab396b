/**
 * Test helper: GNU tar as the oracle. Lists an archive with
 * `TZ=UTC LC_ALL=C tar --numeric-owner --full-time --quoting-style=escape -tvf -` and parses the listing
 * into comparable rows (names as exact bytes: in the C locale every non-ASCII byte is escaped as \ooo).
 */
import { spawnSync } from 'node:child_process';
import type { TarEntry } from './types';

/** Path of the GNU tar binary used as the oracle. */
export const GNU_TAR = '/usr/bin/tar';

/** One listed member, in the fields GNU tar prints. */
export interface Row {
  typeChar: string;
  mode: number;
  uid: number;
  gid: number;
  /** size column: a byte count, or 'major,minor' for devices */
  size: string;
  /** whole seconds since the epoch */
  mtime: number;
  /** fractional part of the seconds as printed ('' when none) */
  frac: string;
  name: string; // hex of the name bytes
  link: string; // hex of the link target bytes
}

/** Result of listing one archive with GNU tar. */
export interface GnuListing {
  status: number;
  rows: Row[];
  stderr: string[];
}

function unescape(s: string): Uint8Array {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, a: 7, b: 8, f: 12, r: 13, v: 11, '\\': 92, '?': 63, ' ': 32 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const oct = /^[0-7]{3}/.exec(s.slice(i + 1));
    if (oct) {
      out.push(parseInt(oct[0], 8));
      i += 3;
    } else {
      out.push(simple[s[i + 1]] ?? s.charCodeAt(i + 1));
      i += 1;
    }
  }
  return Uint8Array.from(out);
}

/** Lowercase hex of bytes, for readable byte-exact comparisons. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function modeBits(m: string): number {
  let v = 0;
  const bit = (i: number, c: string, n: number) => (m[i] === c ? n : 0);
  v |= bit(1, 'r', 0o400) | bit(2, 'w', 0o200) | bit(4, 'r', 0o40) | bit(5, 'w', 0o20) | bit(7, 'r', 0o4) | bit(8, 'w', 0o2);
  v |= 'xs'.includes(m[3]) ? 0o100 : 0;
  v |= 'sS'.includes(m[3]) ? 0o4000 : 0;
  v |= 'xs'.includes(m[6]) ? 0o10 : 0;
  v |= 'sS'.includes(m[6]) ? 0o2000 : 0;
  v |= 'xt'.includes(m[9]) ? 0o1 : 0;
  v |= 'tT'.includes(m[9]) ? 0o1000 : 0;
  return v;
}

const LINE = /^(\S)(\S{9}) (\d+)\/(\d+) +(\d+|\d+,\d+) (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (.*)$/;

/** Lists `bytes` (an uncompressed tar) with GNU tar. */
export function gnuList(bytes: Uint8Array): GnuListing {
  const r = spawnSync(GNU_TAR, ['--numeric-owner', '--full-time', '--quoting-style=escape', '-tvf', '-'], {
    input: bytes, env: { TZ: 'UTC', LC_ALL: 'C', PATH: '/usr/bin:/bin' }, maxBuffer: 1 << 28,
  });
  const rows: Row[] = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`unparsed GNU tar line: ${line}`);
    let rest = m[13];
    let link = '';
    const sep = m[1] === 'l' ? ' -> ' : m[1] === 'h' ? ' link to ' : undefined;
    if (sep && rest.includes(sep)) [rest, link] = [rest.slice(0, rest.indexOf(sep)), rest.slice(rest.indexOf(sep) + sep.length)];
    rows.push({
      typeChar: m[1], mode: modeBits(m[1] + m[2]), uid: Number(m[3]), gid: Number(m[4]), size: m[5],
      mtime: Date.UTC(+m[6], +m[7] - 1, +m[8], +m[9], +m[10], +m[11]) / 1000, frac: m[12] ?? '',
      name: hex(unescape(rest)), link: hex(unescape(link)),
    });
  }
  const stderr = r.stderr.toString('latin1').split('\n').filter(Boolean);
  return { status: r.status ?? -1, rows, stderr };
}

const TYPE_CHAR: Record<TarEntry['type'], string> = {
  file: '-', hardlink: 'h', symlink: 'l', char: 'c', block: 'b', directory: 'd', fifo: 'p', contiguous: 'C', sparse: '-', other: '-',
};

/** Our entry in GNU tar's listing terms. */
export function toRow(e: TarEntry): Row {
  const whole = Math.floor(e.mtime);
  return {
    typeChar: TYPE_CHAR[e.type],
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.type === 'char' || e.type === 'block' ? `${e.devmajor},${e.devminor}` : String(e.realSize ?? e.size),
    mtime: whole,
    frac: '',
    name: hex(e.nameBytes),
    link: hex(new TextEncoder().encode(e.linkname)),
  };
}

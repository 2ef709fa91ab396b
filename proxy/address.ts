/**
 * Address classification for the proxy: which IP addresses a proxied request may never reach.
 * Host names are normalised by the WHATWG URL parser first, which already turns every IPv4 spelling
 * (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`) into dotted-quad form;
 * `parseIPv4` repeats that parsing so that addresses from any other source are judged the same way.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv4 address in any inet_aton spelling (1–4 parts, decimal/octal/hex); null if it is not one. */
export function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => p === '')) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null;
  const bytes = [...nums];
  for (let i = 4 - nums.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

/** Expands an IPv6 address (with optional embedded IPv4 and zone) into 8 16-bit groups; null if invalid. */
export function parseIPv6(s: string): number[] | null {
  let str = s.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!isIPv6(str)) return null;
  const v4 = str.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const b = parseIPv4(v4[1]);
    if (!b) return null;
    str = str.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = str.includes('::') ? str.split('::') : [str, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

const V4_BLOCKS: Array<[number[], number, string]> = [
  [[0, 0, 0, 0], 8, 'this-network (0.0.0.0/8)'],
  [[10, 0, 0, 0], 8, 'private (10/8)'],
  [[100, 64, 0, 0], 10, 'carrier-grade NAT (100.64/10)'],
  [[127, 0, 0, 0], 8, 'loopback (127/8)'],
  [[169, 254, 0, 0], 16, 'link-local / metadata (169.254/16)'],
  [[172, 16, 0, 0], 12, 'private (172.16/12)'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments (192.0.0/24)'],
  [[192, 0, 2, 0], 24, 'documentation (192.0.2/24)'],
  [[192, 88, 99, 0], 24, '6to4 relay (192.88.99/24)'],
  [[192, 168, 0, 0], 16, 'private (192.168/16)'],
  [[198, 18, 0, 0], 15, 'benchmarking (198.18/15)'],
  [[198, 51, 100, 0], 24, 'documentation (198.51.100/24)'],
  [[203, 0, 113, 0], 24, 'documentation (203.0.113/24)'],
  [[224, 0, 0, 0], 4, 'multicast (224/4)'],
  [[240, 0, 0, 0], 4, 'reserved (240/4, broadcast)'],
];

function inV4Block(b: number[], net: number[], bits: number): boolean {
  const ip = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const n = ((net[0] << 24) | (net[1] << 16) | (net[2] << 8) | net[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) === (n & mask);
}

function classifyV4(b: number[]): string | undefined {
  for (const [net, bits, why] of V4_BLOCKS) if (inV4Block(b, net, bits)) return why;
  return undefined;
}

/**
 * Why `ip` must not be reached (a short reason), or undefined for a public unicast address.
 * Accepts IPv4 in any spelling and IPv6 (IPv4-mapped, -compatible, -translated, NAT64, 6to4 and Teredo
 * forms are judged by the IPv4 address inside). Anything that is not an IP address is refused too.
 */
export function forbiddenAddressReason(ip: string): string | undefined {
  const v4 = isIPv4(ip) || /^[0-9a-fx.]+$/i.test(ip) ? parseIPv4(ip) : null;
  if (v4) return classifyV4(v4);
  const g = parseIPv6(ip);
  if (!g) return 'not an IP address';
  const embedded = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  if (g.every((x) => x === 0)) return 'unspecified (::)';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback (::1)';
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return classifyV4(embedded(g[6], g[7])) ?? (g[5] === 0 ? 'IPv4-compatible (deprecated)' : undefined);
  }
  // IPv4-translated ::ffff:0:a.b.c.d (::ffff:0:0:0/96)
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return classifyV4(embedded(g[6], g[7]));
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    // NAT64: the well-known 64:ff9b::/96 and local-use 64:ff9b:1::/48 (RFC 8215) in its /96 layout carry
    // the IPv4 address in the last 32 bits. Any other layout depends on a prefix length only the local
    // translator knows, so where the IPv4 address sits is unknowable here: refused.
    const slash96 = (g[2] === 0 || g[2] === 1) && g[3] === 0 && g[4] === 0 && g[5] === 0;
    return slash96 ? classifyV4(embedded(g[6], g[7])) : 'NAT64 with a local prefix length (64:ff9b::/32)';
  }
  if (g[0] === 0x2002) return classifyV4(embedded(g[1], g[2])); // 6to4
  // Teredo 2001::/32: the client's IPv4 address is the last 32 bits inverted
  if (g[0] === 0x2001 && g[1] === 0) return classifyV4(embedded(~g[6] & 0xffff, ~g[7] & 0xffff));
  if ((g[0] & 0xfe00) === 0xfc00) return 'unique local (fc00::/7)';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((g[0] & 0xffc0) === 0xfec0) return 'site-local (fec0::/10)';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation (2001:db8::/32)';
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'discard (100::/64)';
  return undefined;
}

/** True when the string is an IP literal (IPv4 dotted quad or IPv6, brackets allowed). */
export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host.replace(/^\[|\]$/g, ''));
}

import { describe, expect, it } from 'vitest';
import { forbiddenAddressReason, parseIPv4, parseIPv6 } from './address';

describe('forbiddenAddressReason', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
    '100.127.255.255', '169.254.169.254', '224.0.0.1', '255.255.255.255', '198.18.0.1',
    '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1',
    'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '64:ff9b::10.0.0.1', '2002:7f00:1::',
    '[::1]', '2001:db8::1',
    // other spellings of loopback and metadata
    '2130706433', '0177.0.0.1', '0x7f.0.0.1', '127.1', '0x7f000001', '017700000001', '2852039166', '0xa9fea9fe',
    // IPv4-translated, local-use NAT64 (/96 layout, and any other layout), Teredo (client = inverted last 32 bits)
    '::ffff:0:7f00:1', '::ffff:0:127.0.0.1', '::ffff:0:a9fe:a9fe', '64:ff9b:1::7f00:1', '64:ff9b:1::10.0.0.1',
    '64:ff9b:1:7f00:0:100::', '64:ff9b:1:808:808:0:808:808', '2001:0:4136:e378:8000:63bf:80ff:fffe',
    '2001:0:4136:e378:8000:63bf:5601:5601', '2001::f5ff:fffe',
  ])('refuses %s', (ip) => {
    expect(forbiddenAddressReason(ip)).toBeTruthy();
  });

  it.each([
    '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '::ffff:0:808:808',
    '64:ff9b::808:808', '64:ff9b:1::808:808', '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('allows public %s', (ip) => {
    expect(forbiddenAddressReason(ip)).toBeUndefined();
  });

  it('refuses what is not an address at all', () => {
    expect(forbiddenAddressReason('example.com')).toBe('not an IP address');
    expect(forbiddenAddressReason('')).toBe('not an IP address');
  });
});

describe('address parsing', () => {
  it('reads every inet_aton spelling like the WHATWG URL parser does', () => {
    for (const s of ['2130706433', '0177.0.0.1', '0x7f.1', '127.1', '127.0.1', '0x7F000001']) {
      expect(parseIPv4(s), s).toEqual([127, 0, 0, 1]);
      expect(new URL(`http://${s}/`).hostname, s).toBe('127.0.0.1');
    }
    expect(parseIPv4('256.1.1.1')).toBeNull();
    expect(parseIPv4('1.2.3.4.5')).toBeNull();
    expect(parseIPv4('08.1.1.1')).toBeNull();
  });

  it('expands IPv6 with embedded IPv4', () => {
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6('fe80::1%lo')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('not::an::ip')).toBeNull();
  });
});

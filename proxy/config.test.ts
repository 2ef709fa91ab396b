import { describe, expect, it } from 'vitest';
import { matchesAllow, proxyConfigFrom } from './config';

describe('allowlist entries', () => {
  it('means port 443 for an entry without a port, and only the named port otherwise', () => {
    const list = ['registry.example', '*.blob.example', 'other.example:5000', '[2001:db8::1]'];
    expect(matchesAllow(list, 'registry.example', '443')).toBe(true);
    expect(matchesAllow(list, 'registry.example', '8443')).toBe(false);
    expect(matchesAllow(list, 'a.blob.example', '443')).toBe(true);
    expect(matchesAllow(list, 'a.blob.example', '80')).toBe(false);
    expect(matchesAllow(list, 'blob.example', '443')).toBe(false);
    expect(matchesAllow(list, 'other.example', '5000')).toBe(true);
    expect(matchesAllow(list, 'other.example', '443')).toBe(false);
    expect(matchesAllow(list, '[2001:db8::1]', '443')).toBe(true);
    expect(matchesAllow(list, '[2001:db8::1]', '5000')).toBe(false);
  });

  it('reads --allow and --allow-http and refuses malformed entries', () => {
    const c = proxyConfigFrom({ DOCKER_ENVS_PROXY_ALLOW: 'a.example, b.example:444' }, ['--allow', 'C.example', '--allow-http', '127.0.0.1:5000']);
    expect(c.allow).toEqual(expect.arrayContaining(['a.example', 'b.example:444', 'c.example']));
    expect(c.allowHttp).toEqual(['127.0.0.1:5000']);
    expect(() => proxyConfigFrom({}, ['--allow', 'user@host.example'])).toThrow(/--allow wants/);
    expect(() => proxyConfigFrom({}, ['--allow-http', 'localhost'])).toThrow(/--allow-http wants host:port/);
  });

  it('reads browser origins from --allow-origin and DOCKER_ENVS_PROXY_ALLOW_ORIGIN, none by default', () => {
    expect(proxyConfigFrom({}).allowOrigins).toEqual([]);
    const c = proxyConfigFrom({ DOCKER_ENVS_PROXY_ALLOW_ORIGIN: 'https://App.example/, http://localhost:5173' }, ['--allow-origin', 'https://other.example:8443']);
    expect(c.allowOrigins).toEqual(['https://app.example', 'http://localhost:5173', 'https://other.example:8443']);
    for (const bad of ['*', 'null', 'https://a.example/path', 'file:///x', 'app.example']) {
      expect(() => proxyConfigFrom({}, ['--allow-origin', bad]), bad).toThrow(/--allow-origin wants/);
    }
  });
});

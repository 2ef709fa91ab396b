import { describe, expect, it } from 'vitest';
import { proxiedUrl } from './proxied-fetch';

describe('proxiedUrl', () => {
  const B = 'http://app.test/proxy';
  it.each([
    ['https://registry-1.docker.io/v2/library/ubuntu/manifests/latest', `${B}/registry-1.docker.io/v2/library/ubuntu/manifests/latest`],
    ['https://auth.docker.io/token?service=x&scope=a:b:pull', `${B}/auth.docker.io/token?service=x&scope=a:b:pull`],
    ['https://ghcr.io:8443/v2/', `${B}/ghcr.io:8443/v2/`],
    ['http://127.0.0.1:5000/v2/', `${B}/127.0.0.1:5000/v2/`],
    ['http://localhost/v2/', `${B}/localhost:80/v2/`],
    [`${B}/127.0.0.1:5000/token`, `${B}/127.0.0.1:5000/token`],
    // the app's own files (its offline sample channel) are read directly, not through the proxy
    ['http://app.test/sample/channel/linux-64/repodata.json', 'http://app.test/sample/channel/linux-64/repodata.json'],
    ['http://app.test:8080/sample/x', `${B}/app.test:8080/sample/x`],
    ['https://app.test/sample/x', `${B}/app.test/sample/x`],
  ])('%s', (url, want) => {
    expect(proxiedUrl(B, url)).toBe(want);
  });
  it('refuses other schemes', () => {
    expect(() => proxiedUrl(B, 'file:///etc/passwd')).toThrow(/cannot proxy/);
  });
});

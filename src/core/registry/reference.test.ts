import { describe, expect, it } from 'vitest';
import { parseChallenges } from './auth';
import { formatReference, isLoopbackRegistry, parseReference, registryEndpoint } from './reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference reads references like the docker CLI', () => {
  it.each([
    ['ubuntu', 'docker.io/library/ubuntu:latest'],
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['bitnami/redis', 'docker.io/bitnami/redis:latest'],
    ['docker.io/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['index.docker.io/library/ubuntu:1', 'docker.io/library/ubuntu:1'],
    ['ghcr.io/owner/repo/sub:v1.2', 'ghcr.io/owner/repo/sub:v1.2'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['localhost:5000/foo:bar', 'localhost:5000/foo:bar'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
    [`ubuntu@${D}`, `docker.io/library/ubuntu@${D}`],
    [`ubuntu:22.04@${D}`, `docker.io/library/ubuntu:22.04@${D}`],
    ['my.registry:8443/x_y-z.w:tag_1.0-rc', 'my.registry:8443/x_y-z.w:tag_1.0-rc'],
  ])('%s → %s', (input, full) => {
    expect(formatReference(parseReference(input))).toBe(full);
  });

  it.each(['', 'UPPER/case', 'a//b', 'ubuntu:bad tag', 'ubuntu@sha256:short', 'ubuntu@md5:abc', 'x:-tag'])('refuses %j with a clear error', (s) => {
    expect(() => parseReference(s)).toThrow(/invalid image reference/);
  });

  it('knows Docker Hub\'s API host and the loopback registries', () => {
    expect(registryEndpoint('docker.io')).toBe('registry-1.docker.io');
    expect(registryEndpoint('ghcr.io')).toBe('ghcr.io');
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost')).toBe(true);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
    expect(isLoopbackRegistry('registry.example')).toBe(false);
  });
});

describe('parseChallenges', () => {
  it('keeps commas inside quoted values', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull,push' } },
    ]);
  });
  it('reads basic challenges, unquoted values, escapes and several challenges', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseChallenges('Bearer realm=x, error="invalid_token", error_description="a \\"quoted\\" word"')[0].params)
      .toEqual({ realm: 'x', error: 'invalid_token', error_description: 'a "quoted" word' });
    expect(parseChallenges('Basic realm="a", Bearer realm="b"').map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(parseChallenges('')).toEqual([]);
  });
});

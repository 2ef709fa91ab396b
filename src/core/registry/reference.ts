import { CoreError } from '../errors';
import { isDigest, type Digest } from '../digest';

/** An image reference as the docker CLI reads it, fully qualified. */
export interface ImageReference {
  /** registry host[:port] as written ('docker.io' for Docker Hub) */
  registry: string;
  /** repository path ('library/ubuntu') */
  repository: string;
  /** tag, when the reference names one ('latest' when it names neither tag nor digest) */
  tag?: string;
  digest?: Digest;
}

const DOCKER_HUB = 'docker.io';
// distribution/reference grammar: lowercase path components joined by '/', separators . _ __ -
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Parses `[registry/]repository[:tag][@digest]` like `docker pull` does: `ubuntu` →
 * docker.io/library/ubuntu:latest; a first component with '.', ':' or equal to 'localhost' is a registry.
 */
export function parseReference(input: string): ImageReference {
  const bad = (why: string) => new CoreError('invalid-argument', `invalid image reference "${input}": ${why}`);
  let rest = input.trim();
  if (!rest) throw bad('it is empty');
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(`"${d}" is not a sha256 digest`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`"${p}" is not a valid repository name component (lowercase letters, digits, . _ -)`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The canonical string form: `docker.io/library/ubuntu:22.04@sha256:…`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** The host the registry API is served from (Docker Hub's API is registry-1.docker.io). */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** Whether a registry is reached over plain http by default (loopback, as docker does). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

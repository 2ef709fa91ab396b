/**
 * Tag normalisation as docker does it (distribution/reference ParseNormalizedNamed + FamiliarString):
 * `busybox` → `docker.io/library/busybox:latest` (full) and `busybox:latest` (familiar).
 */
import { CoreError } from '../errors';

/** The forms of one image tag an archive needs. */
export interface NormalizedTag {
  /** `docker.io/library/busybox:latest`: index.json `io.containerd.image.name` */
  full: string;
  /** `busybox:latest`: manifest.json RepoTags */
  familiar: string;
  /** `busybox`: the key of the `repositories` file */
  familiarName: string;
  /** `latest`: index.json `org.opencontainers.image.ref.name` */
  tag: string;
}

const DEFAULT_DOMAIN = 'docker.io';
// distribution/reference grammar: path components of lowercase alphanumerics joined by separators
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Normalises `name[:tag]` like docker; throws 'invalid-argument' for digests and malformed names. */
export function normalizeTag(ref: string): NormalizedTag {
  const bad = (why: string): CoreError => new CoreError('invalid-argument', `invalid image tag ${JSON.stringify(ref)}: ${why}`);
  if (ref.includes('@')) throw bad('a digest reference cannot be used as a tag');
  let name = ref;
  let tag = 'latest';
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) {
    name = ref.slice(0, colon);
    tag = ref.slice(colon + 1);
  }
  if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag (letters, digits, _ . -; at most 128)`);
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (slash > 0) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (!DOMAIN.test(domain)) throw bad(`"${domain}" is not a valid registry host`);
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (!path || !path.split('/').every((c) => COMPONENT.test(c))) {
    throw bad('the repository name must be lowercase letters, digits and separators (. _ __ -), in /-separated parts');
  }
  if (name.length > 255) throw bad('the name is longer than 255 characters');
  let familiarName = `${domain}/${path}`;
  if (domain === DEFAULT_DOMAIN) familiarName = path.startsWith('library/') && path.split('/').length === 2 ? path.slice(8) : path;
  return { full: `${domain}/${path}:${tag}`, familiar: `${familiarName}:${tag}`, familiarName, tag };
}

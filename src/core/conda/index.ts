/** Conda packages: fetch (verified), read (.conda / .tar.bz2), link into a prefix, conda-meta. */
export * from './fetch';
export * from './metadata';
export * from './package';
export * from './relocate';
export * from './install';
export * from './environment';
export * from './environment-file';
export * from './explicit-lock';
export * from './zip';
export * from './types';
export * from './channel';
export * from './repodata';
export * from './repodata-cache';
export * from './repodata-shard';
export * from './payload-bodies';

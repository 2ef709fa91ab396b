/** The build pipeline: spec → solve → fetch → install → plan → image. */
export * from './build';
export * from './multi-platform';
export * from './virtual';
export * from './config';
export * from './layer-job';
export * from './layer-format';
export * from './layer-pool-protocol';
export * from './layer-cache';
export * from './pip-layer';

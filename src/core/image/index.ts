export * from './types';
export * from './blob-layer';
export * from './image';
export * from './mutate';
export * from './json';
export * from './validate';
export * from './content-layer';
export * from './folder';

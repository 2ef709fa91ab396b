export * from './types';
export * from './blob-layer';

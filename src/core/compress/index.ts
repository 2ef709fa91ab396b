export * from './detect';
export * from './decompress';
export * from './gzip';

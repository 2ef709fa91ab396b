export * from './digest';
export * from './md5';
export * from './pieces';

export * from './digest';
export * from './md5';

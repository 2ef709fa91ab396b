export * from './blob-store';
export * from './record-store';

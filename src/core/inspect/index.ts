export * from './listing';
export * from './merge';

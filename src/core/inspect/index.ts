export * from './listing';
export * from './merge';
export * from './summary';

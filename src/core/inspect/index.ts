export * from './listing';
export * from './merge';
export * from './path-table';
export * from './summary';
export * from './format';
export * from './extract';
export * from './tree';
export * from './session';

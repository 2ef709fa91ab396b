export * from './types';
export * from './guards';

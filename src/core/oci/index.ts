export * from './types';
export * from './guards';
export * from './limits';

/** Link order and layer planning. */
export * from './plan';

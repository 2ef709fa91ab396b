/** Small web-stream utilities shared by the core. */
export { ByteBatch, coalesce, concatBytes } from './coalesce';
export { inLanes } from './lanes';
export { capBytes } from './cap';
export { freeNow } from './free';

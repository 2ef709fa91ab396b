/** Small web-stream utilities shared by the core. */
export { coalesce } from './coalesce';

/** The solver: rattler behind the project's interface, and spec parsing. */
export * from './spec';
export * from './rattler';
export * from './installed';

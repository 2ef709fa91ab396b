/** Registry client: references, auth, manifests, verified blobs with resume, pull, tags. */
export * from './reference';
export * from './auth';
export * from './errors';
export * from './client';
export * from './manifests';
export * from './blobs';
export * from './pull';
export * from './push';

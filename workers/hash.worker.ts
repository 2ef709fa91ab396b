/** A hashing worker of the build worker's pool (workers/hash-pool.ts): serves workers/hash-service.ts over comlink. */
import { expose } from 'comlink';
import { registerErrorTransfer } from './error-transfer';
import { hashService } from './hash-service';

registerErrorTransfer();
expose(hashService());

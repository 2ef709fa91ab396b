/**
 * A gunzip worker for the build worker's pool (workers/gunzip-pool.ts): decodes one gzip stream at a time with
 * the browser's DecompressionStream (workers/gunzip-job.ts), so a layer's decoding runs beside the thread that
 * fetches, stores, hashes and writes it.
 */
import { expose } from 'comlink';
import { registerErrorTransfer } from './error-transfer';
import { gunzipWorkerApi } from './gunzip-job';

registerErrorTransfer();
expose(gunzipWorkerApi());

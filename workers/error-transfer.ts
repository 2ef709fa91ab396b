/**
 * Comlink's "throw" transfer handler in the core's error wire format (serializeError/deserializeError in
 * src/core/errors.ts, the one the layer worker pools use too): whatever a worker throws arrives as a
 * CoreError (of its own class where the core knows it) with its code, message, fields and cause chain.
 * Both sides (worker and bridge) call registerErrorTransfer() before the first call.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { deserializeError, serializeError, type CoreError, type SerializedError } from '../src/core/errors';

/** An error as it arrives from a worker: a CoreError ('internal' for anything the worker threw that was not one). */
export type WorkerError = CoreError;

/** Installs the handler (idempotent). */
export function registerErrorTransfer(): void {
  const base = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, unknown> | undefined;
  if (!base || (base as { wire?: boolean }).wire) return;
  const handler: TransferHandler<{ value: unknown }, SerializedError> & { wire: boolean } = {
    wire: true,
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize: ({ value }) => [serializeError(value), []],
    deserialize(s) {
      throw deserializeError(s);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}

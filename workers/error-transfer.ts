/**
 * Comlink's "throw" transfer handler, extended: an Error crossing the worker boundary keeps its
 * `code` (CoreError codes) besides name, message and stack. Both sides (worker and bridge) call
 * registerErrorTransfer() before the first call.
 */
import { transferHandlers, type TransferHandler } from 'comlink';

/** An error as it arrives from a worker. */
export interface WorkerError extends Error {
  /** the CoreError code ('tar-truncated', 'archive-invalid', ...), when the worker threw one */
  code?: string;
}

interface Serialized { isError: boolean; value: unknown }

/** Installs the handler (idempotent). */
export function registerErrorTransfer(): void {
  const base = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, Serialized> | undefined;
  if (!base || (base as { withCode?: boolean }).withCode) return;
  const handler: TransferHandler<{ value: unknown }, Serialized> & { withCode: boolean } = {
    withCode: true,
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize({ value }) {
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        const out: Record<string, unknown> = { message: value.message, name: value.name, stack: value.stack };
        if (typeof code === 'string') out.code = code;
        return [{ isError: true, value: out }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize(s) {
      if (s.isError) throw Object.assign(new Error((s.value as { message: string }).message), s.value);
      throw s.value;
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}

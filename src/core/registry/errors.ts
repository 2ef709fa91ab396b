import { CoreError, registerErrorClass } from '../errors';

/** One error as the registry reported it (distribution spec: `{ errors: [{ code, message, detail }] }`). */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

/** A registry answered with an error; carries the HTTP status and the registry's own error codes. */
export class RegistryError extends CoreError {
  override readonly name = 'RegistryError';
  constructor(
    message: string,
    readonly status: number,
    readonly errors: RegistryErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super('registry-error', errors.length ? `${message}: ${errors.map((e) => `${e.code}${e.message ? ` (${e.message})` : ''}`).join('; ')}` : message, options);
  }
  /** the registry's error codes, e.g. ['MANIFEST_UNKNOWN'] */
  get codes(): string[] {
    return this.errors.map((e) => e.code);
  }
}

registerErrorClass('RegistryError', RegistryError);

/** Reads a registry error body (JSON or not) into a RegistryError. */
export async function registryErrorFrom(res: Response, what: string): Promise<RegistryError> {
  let errors: RegistryErrorDetail[] = [];
  try {
    const text = await res.text();
    const j = JSON.parse(text) as { errors?: RegistryErrorDetail[] };
    if (Array.isArray(j.errors)) errors = j.errors.filter((e) => e && typeof e.code === 'string');
  } catch { /* not JSON: the status says enough */ }
  const hint = res.status === 401 ? ' (wrong or missing credentials?)' : res.status === 403 ? ' (access denied)' : res.status === 404 ? ' (not found)' : '';
  return new RegistryError(`${what}: HTTP ${res.status}${hint}`, res.status, errors);
}

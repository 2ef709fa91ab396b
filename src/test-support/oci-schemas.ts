/**
 * Validators for the JSON the project writes, from the OCI image-spec schemas in the shared fixtures
 * (draft-04 schemas with nested `id`s that refer to each other by file name).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fixture } from './fixtures';

/** One validator per document type: manifest, index, layout (oci-layout) and config. */
export interface OciValidators {
  manifest: ValidateFunction;
  index: ValidateFunction;
  layout: ValidateFunction;
  config: ValidateFunction;
}

/** Loads every schema of `oci-image-spec/schema` into one Ajv instance. */
export function ociValidators(): OciValidators {
  const dir = fixture('oci-image-spec/schema');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).filter(([k, x]) => !((k === 'id' && typeof x === 'string') || k === '$schema')).map(([k, x]) => [k, strip(x)]));
    }
    return v;
  };
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema({ ...(strip(JSON.parse(readFileSync(join(dir, f), 'utf8'))) as object), $id: `https://schema.test/${f}` });
  }
  const get = (f: string) => ajv.getSchema(`https://schema.test/${f}`)!;
  return { manifest: get('image-manifest-schema.json'), index: get('image-index-schema.json'), layout: get('image-layout-schema.json'), config: get('config-schema.json') };
}

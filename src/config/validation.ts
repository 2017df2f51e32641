// One Ajv setup for config, catalog, state and record validation, and one way to word its errors.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function createAjv(): Ajv {
  // Airbyte and Singer annotations (airbyte_secret, order, ...) are not JSON Schema keywords.
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
  addFormats(ajv);
  return ajv;
}

/** `organizations[0]` style path for a JSON pointer such as `/organizations/0`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

export function describeAjvError(error: ErrorObject): string {
  const base = fieldPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `'${base ? `${base}.` : ''}${missing}' is required`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `'${base ? `${base}.` : ''}${extra}' is not a known field`;
  }
  return `'${base || '(root)'}' ${error.message ?? 'is invalid'}`;
}

export function describeAjvErrors(validate: ValidateFunction): string {
  const errors = validate.errors ?? [];
  // `pattern` repeats what `format` says less readably.
  const useful = errors.filter((e) => e.keyword !== 'pattern' || !errors.some((o) => o.instancePath === e.instancePath && o.keyword === 'format'));
  return [...new Set(useful.map(describeAjvError))].join('; ');
}

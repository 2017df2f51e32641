// One way to word validation errors, for the validators compiled ahead of time
// (src/generated/*-validator*.ts) and for Ajv's own in tests.
import type { ErrorObject } from 'ajv';

/** A compiled validator. Ajv's `ValidateFunction` also promises the compiler's `schema` and `schemaEnv`, which validators compiled ahead of time do not carry. */
export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
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

export function describeAjvErrors(validate: Validator): string {
  const errors = validate.errors ?? [];
  // `pattern` repeats what `format` says less readably.
  const useful = errors.filter((e) => e.keyword !== 'pattern' || !errors.some((o) => o.instancePath === e.instancePath && o.keyword === 'format'));
  return [...new Set(useful.map(describeAjvError))].join('; ');
}

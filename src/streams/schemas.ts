// The stream schemas from schemas/*.json, and their record validators.
import type { Validator } from '../config/validation.js';
import { readPackageJson } from '../package-info.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [keyword: string]: unknown;
}

export class SchemaRegistry {
  private readonly schemas = new Map<string, JsonSchema>();

  /** `validators`: the record validators by stream, compiled ahead of time (src/generated/record-validators.ts); only `read` needs them. */
  constructor(private readonly validators: Readonly<Record<string, Validator>> = {}) {}

  schema(stream: string): JsonSchema {
    let schema = this.schemas.get(stream);
    if (!schema) this.schemas.set(stream, (schema = readPackageJson<JsonSchema>(`schemas/${stream}.json`)));
    return schema;
  }

  validator(stream: string): Validator {
    const validate = this.validators[stream];
    if (!validate) throw new Error(`no record validator for stream '${stream}': run \`npm run generate\``);
    return validate;
  }
}

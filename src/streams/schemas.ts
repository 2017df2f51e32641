// The stream schemas from schemas/*.json, and validators for records.
import type { ValidateFunction } from 'ajv';
import { readPackageJson } from '../package-info.js';

import { createAjv } from '../config/validation.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [keyword: string]: unknown;
}

export class SchemaRegistry {
  private readonly schemas = new Map<string, JsonSchema>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = createAjv();

  schema(stream: string): JsonSchema {
    let schema = this.schemas.get(stream);
    if (!schema) this.schemas.set(stream, (schema = readPackageJson<JsonSchema>(`schemas/${stream}.json`)));
    return schema;
  }

  validator(stream: string): ValidateFunction {
    let validate = this.validators.get(stream);
    if (!validate) this.validators.set(stream, (validate = this.ajv.compile(this.schema(stream))));
    return validate;
  }
}

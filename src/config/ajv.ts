// The one Ajv setup. The generator compiles the tap's validators with it ahead of time
// (src/generated/config-validator.ts, record-validators.ts), and tests check schemas with it; the tap
// itself never loads Ajv's compiler, whose loading and compiling took most of a short command's start-up.
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function createAjv(extra: Options = {}): Ajv {
  // Airbyte and Singer annotations (airbyte_secret, order, ...) are not JSON Schema keywords.
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, ...extra });
  addFormats(ajv);
  return ajv;
}

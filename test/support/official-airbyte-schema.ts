// Opt-in: Airbyte messages are also checked against the official Airbyte protocol JSON Schema when
// TAP_TEST_AIRBYTE_PROTOCOL_SCHEMA names a copy of it (airbyte_protocol.json). The repository does not
// ship that file, so a plain clone runs on the project's own checks (airbyte-messages.ts); .ci/run
// switches the cross-check on where the machine has a copy.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../src/config/ajv.js';

export const OFFICIAL_SCHEMA_ENV = 'TAP_TEST_AIRBYTE_PROTOCOL_SCHEMA';

export interface OfficialAirbyteSchema {
  path: string;
  /** What the official schema finds wrong with one message; [] when it is valid. */
  problems(message: unknown): string[];
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads the schema; anything short of a usable schema throws, naming the path and the variable. */
export function loadOfficialAirbyteSchema(path: string): OfficialAirbyteSchema {
  const fail = (why: string) => new Error(`${OFFICIAL_SCHEMA_ENV}=${path}: ${why}; point it at the official airbyte_protocol.json or unset it`);
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw fail(`cannot be read as JSON (${reason(error)})`);
  }
  if (typeof schema !== 'object' || schema === null) throw fail('is not a JSON Schema');
  const id = '$id' in schema && typeof schema.$id === 'string' ? schema.$id : 'airbyte_protocol.json';
  let validate: ValidateFunction | undefined;
  try {
    validate = createAjv().addSchema(schema, id).getSchema(`${id}#/definitions/AirbyteMessage`);
  } catch (error) {
    throw fail(`is not a usable JSON Schema (${reason(error)})`);
  }
  if (!validate) throw fail('has no definitions/AirbyteMessage');
  const check = validate;
  return {
    path,
    problems: (message) =>
      check(message) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
  };
}

/** The official schema when the environment opts in (an empty value counts as unset); undefined otherwise. */
export function officialAirbyteSchemaFrom(env: NodeJS.ProcessEnv): OfficialAirbyteSchema | undefined {
  const path = env[OFFICIAL_SCHEMA_ENV];
  return path === undefined || path === '' ? undefined : loadOfficialAirbyteSchema(resolve(path));
}

/** Loaded once, as the test files load: a wrong path fails every test that checks Airbyte output. */
export const OFFICIAL_AIRBYTE_SCHEMA = officialAirbyteSchemaFrom(process.env);

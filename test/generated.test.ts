import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { JSONSchema } from 'json-schema-to-typescript';

import {
  acceptanceCatalogPath,
  catalogPath,
  configValidatorPath,
  everyPropertyRequired,
  recordTypesPath,
  recordValidatorsPath,
  renderCatalog,
  renderConfigValidator,
  renderRecordTypes,
  renderRecordValidators,
  renderSpec,
  specPath,
} from '../scripts/generate.js';

const STALE = 'is out of date: run `npm run generate` and commit the result';

void describe('generated files', () => {
  void it('src/generated/records.ts matches schemas/*.json', async () => {
    assert.equal(await readFile(recordTypesPath, 'utf8'), await renderRecordTypes(), `src/generated/records.ts ${STALE}`);
  });

  void it('the validators compiled ahead of time match the config schema and schemas/*.json', async () => {
    assert.equal(await readFile(configValidatorPath, 'utf8'), renderConfigValidator(), `src/generated/config-validator.ts ${STALE}`);
    assert.equal(await readFile(recordValidatorsPath, 'utf8'), await renderRecordValidators(), `src/generated/record-validators.ts ${STALE}`);
  });

  void it('spec.json matches src/spec.ts', async () => {
    assert.equal(await readFile(specPath, 'utf8'), renderSpec(), `spec.json ${STALE}`);
  });

  void it('catalog.json matches the stream definitions and schemas', async () => {
    assert.equal(await readFile(catalogPath, 'utf8'), renderCatalog(), `catalog.json ${STALE}`);
    assert.equal(await readFile(acceptanceCatalogPath, 'utf8'), renderCatalog(), `integration_tests/configured_catalog.json ${STALE}`);
  });

  void it('the generated files sit at the expected places', () => {
    assert.match(recordTypesPath, /[\\/]src[\\/]generated[\\/]records\.ts$/);
    assert.match(specPath, /[\\/]spec\.json$/);
    assert.match(catalogPath, /[\\/]catalog\.json$/);
    assert.ok(!/[\\/](src|scripts)[\\/]spec\.json$/.test(specPath));
  });

  void it('spec.json is the ConnectorSpecification with the config schema', async () => {
    const spec = JSON.parse(await readFile(specPath, 'utf8')) as { documentationUrl?: unknown; connectionSpecification?: { required?: unknown; properties?: Record<string, unknown> } };
    assert.equal(typeof spec.documentationUrl, 'string');
    assert.deepEqual(spec.connectionSpecification?.required, ['token', 'organizations']);
    assert.deepEqual(Object.keys(spec.connectionSpecification?.properties ?? {}), [
      'token',
      'organizations',
      'start_date',
      'base_url',
      'page_size',
      'max_concurrency',
      'request_timeout_seconds',
      'checkpoint_interval_seconds',
      'max_response_mb',
      'retry_base_seconds',
      'deployments_lookback_days',
      'usage_lookback_days',
      'max_attempts',
    ]);
  });

  void it('record types require every declared property at any depth; the schema keeps its own required list', () => {
    const schema: JSONSchema = {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string' },
        owner: { type: ['null', 'object'], properties: { name: { type: ['null', 'string'] } } },
        tags: { type: ['null', 'array'], items: { type: 'object', properties: { key: { type: ['null', 'string'] } } } },
        data: { type: ['null', 'object'], additionalProperties: true },
      },
    };
    const original = JSON.stringify(schema);
    const typed = everyPropertyRequired(schema);
    assert.deepEqual(typed.required, ['id', 'owner', 'tags', 'data']);
    assert.deepEqual(typed.properties?.owner?.required, ['name']);
    const items = typed.properties?.tags?.items;
    assert.ok(items && !Array.isArray(items));
    assert.deepEqual(items.required, ['key']);
    assert.equal(typed.properties?.data?.required, undefined);
    assert.equal(JSON.stringify(schema), original);
  });

  void it('the record types carry nested properties as required, not optional', async () => {
    const types = await readFile(recordTypesPath, 'utf8');
    assert.match(types, /\n {4}github_login: null \| string;/);
    assert.doesNotMatch(types, /\?: /);
  });
});

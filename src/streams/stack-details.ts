import type { StackDetailRecord, StackTagRecord } from '../generated/records.js';
import { defineStream, type Context, type RequestSpec } from '../core/stream.js';
import { WHOLE_BODY } from '../core/paging.js';
import { stackKeys, stackPath } from './context.js';
import { stacks } from './stacks.js';
import { asObject, dataMap, int, keyString, objectOf, str } from './fields.js';

/**
 * A stack's detail document (GET /api/stacks/ORG/PROJECT/STACK), read once per stack listed by
 * `stacks`: `stack_details` is the document, `stack_tags` its `tags`, both from the same request.
 */
const stackDetail = {
  endpoint: '/api/stacks/{org}/{project}/{stack}',
  path: stackPath,
  paging: () => ({ kind: 'none' }),
} as const satisfies Omit<RequestSpec, 'records'>;

/** The stack was deleted after it was listed. */
const STACK_GONE = { gone: [404] };

const currentOperation = objectOf({ kind: str, author: str, started: int });

/** Cloud-persisted config, field by field: `encryptedKey` and `encryptionSalt` are key material and are never copied. */
function stackConfig(value: unknown): StackDetailRecord['config'] {
  const c = asObject(value);
  return c && { environment: str(c.environment), secrets_provider: str(c.secretsProvider) };
}

export const stackDetails = defineStream({
  name: 'stack_details',
  keyProperties: ['org_name', 'project_name', 'stack_name'],
  parent: stacks,
  request: { ...stackDetail, records: WHOLE_BODY },
  statuses: STACK_GONE,
  toRecord(raw: unknown, context: Context): StackDetailRecord {
    const s = asObject(raw) ?? {};
    return {
      ...stackKeys(context),
      id: str(s.id),
      active_update: str(s.activeUpdate),
      current_operation: currentOperation(s.currentOperation),
      tags: dataMap(s.tags, str),
      config: stackConfig(s.config),
      version: int(s.version),
    };
  },
});

export const stackTags = defineStream({
  name: 'stack_tags',
  keyProperties: ['org_name', 'project_name', 'stack_name', 'name'],
  parent: stacks,
  // A stack without tags may have no `tags` at all.
  request: { ...stackDetail, records: { key: 'tags', optional: true, entries: { keyField: 'name', valueField: 'value' } } },
  statuses: STACK_GONE,
  toRecord(raw: unknown, context: Context): StackTagRecord {
    const tag = asObject(raw) ?? {};
    return { ...stackKeys(context), name: keyString(tag.name, 'name'), value: str(tag.value) };
  },
});

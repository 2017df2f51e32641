import type { EnvironmentRevisionRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { WHOLE_BODY } from '../core/paging.js';
import { environments } from './environments.js';
import { asObject, int, isoTime, keyInt, keyString, objectOf, str, strings } from './fields.js';

const retracted = objectOf({ replacement: int, at: isoTime, by_login: str, by_name: str, reason: str });
const sourceChangeRequest = objectOf({ id: str, description: str });

/**
 * Each ESC environment's revisions (GET /api/esc/environments/ORG/PROJECT/ENV/versions): a bare list,
 * newest first, paged by `before` (the last revision number read) and `count`. Incremental on the
 * revision number per environment. Revisions do not change, except `retracted`, which can be set
 * later: an incremental run does not see a retraction of a revision it has already synced.
 */
export const environmentRevisions = defineStream({
  name: 'environment_revisions',
  keyProperties: ['org_name', 'project', 'environment', 'number'],
  parent: environments,
  request: {
    endpoint: '/api/esc/environments/{org}/{project}/{env}/versions',
    path: (c) => `/api/esc/environments/${encodeURIComponent(c.org_name ?? '')}/${encodeURIComponent(c.project ?? '')}/${encodeURIComponent(c.environment ?? '')}/versions`,
    paging: (config) => ({ kind: 'keyset', param: 'before', keyField: 'number', countParam: 'count', count: config.pageSize }),
    records: WHOLE_BODY,
  },
  cursor: { field: 'number', type: 'sequence', order: 'newest-first' },
  // The environment was deleted after it was listed.
  statuses: { gone: [404] },
  toRecord(raw: unknown, context: Context): EnvironmentRevisionRecord {
    const r = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      project: keyString(context.project, 'project'),
      environment: keyString(context.environment, 'environment'),
      number: keyInt(r.number, 'number'),
      created: isoTime(r.created),
      creator_login: str(r.creatorLogin),
      creator_name: str(r.creatorName),
      tags: strings(r.tags),
      retracted: retracted(r.retracted),
      source_change_request: sourceChangeRequest(r.sourceChangeRequest),
    };
  },
});

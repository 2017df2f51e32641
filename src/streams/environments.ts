import type { EnvironmentRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { organizationContext } from './context.js';
import { asObject, bool, dataMap, int, isoTime, keyString, links, objectOf, str, userInfo } from './fields.js';

const referrerMetadata = objectOf({ environment_referrer_count: int, stack_referrer_count: int, insights_account_referrer_count: int });
const settings = objectOf({ deletion_protected: bool });

/**
 * ESC environments of each organization (GET /api/esc/environments/ORG): metadata only, never a
 * definition or a value. The listing takes `continuationToken` and answers with `nextToken`.
 */
export const environments = defineStream({
  name: 'environments',
  keyProperties: ['org_name', 'project', 'name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/esc/environments/{org}',
    path: (c) => `/api/esc/environments/${encodeURIComponent(c.org_name ?? '')}`,
    paging: (config) => ({ kind: 'cursor', tokenField: 'nextToken', tokenParam: 'continuationToken', pageSizeParam: 'maxResults', pageSize: config.pageSize }),
    records: 'environments',
  },
  // ESC is enabled per organization; where it is not, the API refuses the listing.
  requires: 'environmentsEnabled',
  statuses: { unavailable: [403, 404] },
  childContext: (environment) => ({ org_name: environment.org_name, project: environment.project, environment: environment.name }),
  toRecord(raw: unknown, context: Context): EnvironmentRecord {
    const e = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      // Environments made before ESC had projects belong to `default`.
      project: keyString(e.project ?? 'default', 'project'),
      name: keyString(e.name, 'name'),
      id: str(e.id),
      created: isoTime(e.created),
      modified: isoTime(e.modified),
      deleted_at: isoTime(e.deletedAt),
      owned_by: userInfo(e.ownedBy),
      tags: dataMap(e.tags, str),
      referrer_metadata: referrerMetadata(e.referrerMetadata),
      settings: settings(e.settings),
      links: links(e.links),
    };
  },
});

import type { ResourceRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, bool, dataObject, int, isoTime, keyString, str, strings } from './fields.js';

/** Stands in for a project or stack the API does not send: parentheses cannot occur in either name. */
export const NO_SCOPE = '(none)';

/**
 * The project and stack that key a resource. Resources that Insights discovered in a cloud account
 * belong to no stack, and the API sends no project or stack for them; a key cannot be null, so the
 * project becomes `(none)` and the stack `(account NAME)` (its Insights account, or `(none)`
 * without one), which keeps two accounts' resources with the same URN apart.
 */
export function resourceScope(project: unknown, stack: unknown, account: unknown): { project: string; stack: string } {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const owner = text(account);
  return { project: text(project) ?? NO_SCOPE, stack: text(stack) ?? (owner === undefined ? NO_SCOPE : `(account ${owner})`) };
}

/**
 * The organization's resource search index (GET /api/orgs/ORG/search/resourcesv2, without
 * `properties`, which costs money and can return 402), followed page after page by the URL in
 * `pagination.next`, as Pulumi's own client does. Numbered pages reach the first 10,000 results
 * only; past them the API wants a cursor (Enterprise only), which is not followed: where the API
 * names no next page, the listing ends, with a warning when that is short of the `total` it counts. Full refresh: an incremental read could not see deletions.
 */
export const resources = defineStream({
  name: 'resources',
  keyProperties: ['org_name', 'project', 'stack', 'urn'],
  rootContext: organizationContext,
  // Where the organization's features say resource search is off, nothing is asked.
  requires: 'resourceSearchEnabled',
  request: {
    endpoint: '/api/orgs/{org}/search/resourcesv2',
    path: (c) => `${orgPath(c)}/search/resourcesv2`,
    paging: (config) => ({ kind: 'next-url', nextField: 'pagination.next', pageSizeParam: 'size', pageSize: config.pageSize, totalField: 'total' }),
    records: 'resources',
  },
  toRecord(raw: unknown, context: Context): ResourceRecord {
    const r = asObject(raw) ?? {};
    const scope = resourceScope(r.project, r.stack, r.account);
    return {
      org_name: keyString(context.org_name, 'org_name'),
      project: scope.project,
      stack: scope.stack,
      urn: keyString(r.urn, 'urn'),
      type: str(r.type),
      name: str(r.name),
      id: str(r.id),
      package: str(r.package),
      module: str(r.module),
      // SPEC and the v2 client use the first names; the v1 client and the v2 documentation the dotted ones.
      parent_urn: str(r.parent_urn) ?? str(r['parent.urn']),
      provider_urn: str(r.provider_urn) ?? str(r['provider.urn']),
      created: isoTime(r.created),
      modified: isoTime(r.modified),
      custom: bool(r.custom),
      delete: bool(r.delete),
      protected: bool(r.protected),
      external: bool(r.external),
      pending: str(r.pending),
      dependencies: strings(r.dependencies),
      dependents: strings(r.dependents),
      teams: strings(r.teams),
      category: str(r.category),
      managed: str(r.managed),
      account: str(r.account),
      fingerprint: str(r.fingerprint),
      source_count: int(r.sourceCount),
      metadata: dataObject(r.metadata),
    };
  },
});

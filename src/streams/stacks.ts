import type { StackRecord } from '../generated/records.js';
import { asObject, cursorInt, int, keyString, links, str } from './fields.js';
import type { StreamDefinition } from './types.js';

/** Stacks of each organization (GET /api/user/stacks?organization=ORG). */
export const stacks: StreamDefinition<StackRecord> = {
  name: 'stacks',
  keyProperties: ['org_name', 'project_name', 'stack_name'],
  replicationKey: 'last_update',
  endpoint: '/api/user/stacks',
  context: (organization) => ({ org_name: organization }),
  path: () => '/api/user/stacks',
  query: (c) => ({ organization: c.org_name }),
  itemsKey: 'stacks',
  paging: (config) => ({ kind: 'cursor', pageSizeParam: 'maxResults', pageSize: config.pageSize }),
  toRecord(raw, context) {
    const s = asObject(raw) ?? {};
    // The listing is of one organization: a summary that omits its orgName belongs to it.
    const orgName = s.orgName ?? context.org_name;
    return {
      org_name: keyString(orgName, 'org_name (orgName)'),
      project_name: keyString(s.projectName, 'project_name (projectName)'),
      stack_name: keyString(s.stackName, 'stack_name (stackName)'),
      id: str(s.id),
      last_update: cursorInt(s.lastUpdate, 'last_update (lastUpdate)'),
      resource_count: int(s.resourceCount),
      links: links(s.links),
    };
  },
};

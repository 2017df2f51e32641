import type { StackRecord } from '../generated/records.js';
import { asObject, cursorInt, int, keyString, links, str } from './fields.js';
import { defineStream, type Context } from '../core/stream.js';
import { organizationContext } from './context.js';

/** Stacks of each organization (GET /api/user/stacks?organization=ORG). */
export const stacks = defineStream({
  name: 'stacks',
  keyProperties: ['org_name', 'project_name', 'stack_name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/user/stacks',
    path: () => '/api/user/stacks',
    query: (c) => ({ organization: c.org_name }),
    paging: (config) => ({ kind: 'cursor', pageSizeParam: 'maxResults', pageSize: config.pageSize }),
    records: 'stacks',
  },
  // Stacks are not listed in time order; a never-updated stack has no last_update.
  cursor: { field: 'last_update', type: 'unix-seconds', order: 'unsorted' },
  childContext: (stack) => ({ org_name: stack.org_name, project_name: stack.project_name, stack_name: stack.stack_name }),
  toRecord(raw: unknown, context: Context): StackRecord {
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
});

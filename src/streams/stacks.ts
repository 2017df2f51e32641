import type { StackRecord } from '../generated/records.js';
import { asObject, int, snakeObject, str } from './fields.js';
import type { StreamDefinition } from './types.js';

export const stacks: StreamDefinition<StackRecord> = {
  name: 'stacks',
  description: 'Stacks of each organization (GET /api/user/stacks?organization=ORG).',
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
    return {
      org_name: str(s.orgName) ?? context.org_name ?? '',
      project_name: str(s.projectName) ?? '',
      stack_name: str(s.stackName) ?? '',
      id: str(s.id),
      last_update: int(s.lastUpdate),
      resource_count: int(s.resourceCount),
      links: snakeObject(s.links),
    };
  },
};

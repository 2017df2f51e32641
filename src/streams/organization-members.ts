import type { OrganizationMemberRecord } from '../generated/records.js';
import { asObject, bool, snakeObject, str } from './fields.js';
import type { StreamDefinition } from './types.js';

export const organizationMembers: StreamDefinition<OrganizationMemberRecord> = {
  name: 'organization_members',
  description: 'Members of each organization (GET /api/orgs/ORG/members?type=backend).',
  keyProperties: ['org_name', 'user_name'],
  endpoint: '/api/orgs/{org}/members',
  context: (organization) => ({ org_name: organization }),
  path: (c) => `/api/orgs/${encodeURIComponent(c.org_name ?? '')}/members`,
  query: () => ({ type: 'backend' }),
  itemsKey: 'members',
  paging: () => ({ kind: 'cursor' }),
  toRecord(raw, context) {
    const m = asObject(raw) ?? {};
    const user = asObject(m.user) ?? {};
    return {
      org_name: context.org_name ?? '',
      user_name: str(user.githubLogin) ?? '',
      role: str(m.role),
      user: snakeObject(m.user),
      created: str(m.created),
      known_to_pulumi: bool(m.knownToPulumi),
      virtual_admin: bool(m.virtualAdmin),
      fga_role: snakeObject(m.fgaRole),
      links: snakeObject(m.links),
    };
  },
};

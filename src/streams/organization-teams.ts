import type { OrganizationTeamRecord } from '../generated/records.js';
import { asObject, snakeArray, str } from './fields.js';
import type { StreamDefinition } from './types.js';

export const organizationTeams: StreamDefinition<OrganizationTeamRecord> = {
  name: 'organization_teams',
  description: 'Teams of each organization (GET /api/orgs/ORG/teams); Enterprise and Business Critical plans only.',
  keyProperties: ['org_name', 'name'],
  endpoint: '/api/orgs/{org}/teams',
  context: (organization) => ({ org_name: organization }),
  path: (c) => `/api/orgs/${encodeURIComponent(c.org_name ?? '')}/teams`,
  itemsKey: 'teams',
  // Plans below Enterprise have no teams: a sync of such an organization should not fail every day.
  unavailableStatuses: [403, 404],
  // The service sends every team at once; a continuationToken is followed if one ever appears.
  paging: () => ({ kind: 'cursor' }),
  toRecord(raw, context) {
    const t = asObject(raw) ?? {};
    const roleIds = Array.isArray(t.roleIds) ? t.roleIds.filter((id): id is string => typeof id === 'string') : null;
    return {
      org_name: context.org_name ?? '',
      name: str(t.name) ?? '',
      kind: str(t.kind),
      display_name: str(t.displayName),
      description: str(t.description),
      members: snakeArray(t.members),
      stacks: snakeArray(t.stacks),
      environments: snakeArray(t.environments),
      user_role: str(t.userRole),
      role_ids: roleIds,
    };
  },
};

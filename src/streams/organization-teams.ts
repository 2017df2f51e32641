import type { OrganizationTeamRecord } from '../generated/records.js';
import { arrayOf, asObject, int, keyString, objectOf, str } from './fields.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';

const members = arrayOf(objectOf({ name: str, github_login: str, avatar_url: str, role: str }));
const stackPermissions = arrayOf(objectOf({ project_name: str, stack_name: str, permission: int }));
const environmentPermissions = arrayOf(objectOf({ project_name: str, env_name: str, permission: str }));

/** Teams of each organization (GET /api/orgs/ORG/teams); Enterprise and Business Critical plans only. */
export const organizationTeams = defineStream({
  name: 'organization_teams',
  keyProperties: ['org_name', 'name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/teams',
    path: (c) => `${orgPath(c)}/teams`,
    // The service sends every team at once; a continuationToken is followed if one ever appears.
    paging: () => ({ kind: 'cursor' }),
    records: 'teams',
  },
  // Plans below Enterprise have no teams: a sync of such an organization should not fail every day.
  statuses: { unavailable: [403, 404] },
  childContext: (team) => ({ org_name: team.org_name, team_name: team.name }),
  toRecord(raw: unknown, context: Context): OrganizationTeamRecord {
    const t = asObject(raw) ?? {};
    const roleIds = Array.isArray(t.roleIds) ? t.roleIds.filter((id): id is string => typeof id === 'string') : null;
    return {
      org_name: keyString(context.org_name, 'org_name'),
      name: keyString(t.name, 'name'),
      kind: str(t.kind),
      display_name: str(t.displayName),
      description: str(t.description),
      members: members(t.members),
      stacks: stackPermissions(t.stacks),
      environments: environmentPermissions(t.environments),
      user_role: str(t.userRole),
      role_ids: roleIds,
    };
  },
});

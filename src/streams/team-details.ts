import type { TeamEnvironmentPermissionRecord, TeamMemberRecord, TeamStackPermissionRecord } from '../generated/records.js';
import { defineStream, type Context, type RequestSpec } from '../core/stream.js';
import { organizationTeams } from './organization-teams.js';
import { teamKeys, teamPath } from './context.js';
import { asObject, int, keyString, str } from './fields.js';

/**
 * A team's detail document (GET /api/orgs/ORG/teams/TEAM), read once per team listed by
 * `organization_teams`: its members, stack permissions and environment permissions are three
 * streams served by the same request. The API may leave out a list that is empty.
 */
const teamDetail = {
  endpoint: '/api/orgs/{org}/teams/{team}',
  path: teamPath,
  paging: () => ({ kind: 'none' }),
} as const satisfies Omit<RequestSpec, 'records'>;

/** 404: the team was deleted after it was listed; 403: as for the team listing, a plan without teams. */
const TEAM_STATUSES = { gone: [404], unavailable: [403] };

export const teamMembers = defineStream({
  name: 'team_members',
  keyProperties: ['org_name', 'team_name', 'user_name'],
  parent: organizationTeams,
  request: { ...teamDetail, records: { key: 'members', optional: true } },
  statuses: TEAM_STATUSES,
  toRecord(raw: unknown, context: Context): TeamMemberRecord {
    const m = asObject(raw) ?? {};
    return { ...teamKeys(context), user_name: keyString(m.githubLogin, 'user_name (githubLogin)'), name: str(m.name), email: str(m.email), avatar_url: str(m.avatarUrl), role: str(m.role) };
  },
});

const STACK_PERMISSIONS: Readonly<Record<number, string>> = { 0: 'none', 101: 'read', 102: 'write', 103: 'admin', 104: 'creator' };

export const teamStackPermissions = defineStream({
  name: 'team_stack_permissions',
  keyProperties: ['org_name', 'team_name', 'project_name', 'stack_name'],
  parent: organizationTeams,
  request: { ...teamDetail, records: { key: 'stacks', optional: true } },
  statuses: TEAM_STATUSES,
  toRecord(raw: unknown, context: Context): TeamStackPermissionRecord {
    const p = asObject(raw) ?? {};
    const permission = int(p.permission);
    return {
      ...teamKeys(context),
      project_name: keyString(p.projectName, 'project_name (projectName)'),
      stack_name: keyString(p.stackName, 'stack_name (stackName)'),
      permission,
      permission_name: permission === null ? null : (STACK_PERMISSIONS[permission] ?? null),
      permission_set_name: str(p.permissionSetName),
    };
  },
});

export const teamEnvironmentPermissions = defineStream({
  name: 'team_environment_permissions',
  keyProperties: ['org_name', 'team_name', 'project_name', 'environment_name'],
  parent: organizationTeams,
  request: { ...teamDetail, records: { key: 'environments', optional: true } },
  statuses: TEAM_STATUSES,
  toRecord(raw: unknown, context: Context): TeamEnvironmentPermissionRecord {
    const p = asObject(raw) ?? {};
    return {
      ...teamKeys(context),
      // Environments made before ESC had projects belong to `default`.
      project_name: keyString(p.projectName ?? 'default', 'project_name (projectName)'),
      environment_name: keyString(p.envName, 'environment_name (envName)'),
      permission: str(p.permission),
      max_open_duration: str(p.maxOpenDuration),
      permission_set_name: str(p.permissionSetName),
    };
  },
});

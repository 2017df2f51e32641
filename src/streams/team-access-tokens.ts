import type { TeamAccessTokenRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { organizationTeams } from './organization-teams.js';
import { teamKeys, teamPath } from './context.js';
import { accessTokenFields } from './org-access-tokens.js';

/**
 * Each team's access tokens (GET /api/orgs/ORG/teams/TEAM/tokens, not paged), metadata only. The API
 * returns a token's value only when it is created; should a server send one anyway, it is not copied:
 * the record is built from the declared fields alone.
 */
export const teamAccessTokens = defineStream({
  name: 'team_access_tokens',
  keyProperties: ['org_name', 'team_name', 'id'],
  parent: organizationTeams,
  request: {
    endpoint: '/api/orgs/{org}/teams/{team}/tokens',
    path: (c) => `${teamPath(c)}/tokens`,
    // Expired tokens too, as for organization tokens.
    query: () => ({ show_expired: 'true' }),
    paging: () => ({ kind: 'none' }),
    records: 'tokens',
  },
  // 404: the team was deleted since it was listed; 403: the token may not manage this team's tokens.
  statuses: { gone: [404], unavailable: [403] },
  toRecord(raw: unknown, context: Context): TeamAccessTokenRecord {
    return { ...teamKeys(context), ...accessTokenFields(raw) };
  },
});

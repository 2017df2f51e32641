// One team: GET /api/orgs/{org}/teams/{team} (its members, stack and environment permissions) and
// GET /api/orgs/{org}/teams/{team}/tokens (its access tokens, metadata only). 403 on a plan
// without teams, 404 for a team that does not exist.
import { Rng, rfc3339, type Org } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import type { EmulatedAccessToken } from './org-access-tokens.js';
import { teamsData, type EmulatedTeam } from './teams.js';

function requireTeam(org: Org, name: string): EmulatedTeam {
  const { available, teams } = org.get(teamsData);
  if (!available) throw new HttpError(403, 'Forbidden: teams are not available on this plan');
  const team = teams.find((t) => t.name === name);
  if (!team) throw new HttpError(404, `Team '${name}' not found`);
  return team;
}

/** A team's detail: the listing's entry with its lists always present (the listing may omit them). */
export function teamDetail(team: EmulatedTeam): EmulatedTeam {
  return { ...team, members: team.members ?? [], stacks: team.stacks ?? [], environments: team.environments ?? [] };
}

export function teamTokens(org: Org, team: string): EmulatedAccessToken[] {
  const rng = Rng.of(org.seed, 'team-tokens', team);
  const count = rng.int(0, 3);
  return Array.from({ length: count }, (_, i) => {
    const created = 1_700_000_000 + rng.int(0, 30_000_000);
    return {
      id: rng.uuid(),
      name: `${team}-ci-${i + 1}`,
      description: rng.chance(0.5) ? `CI token ${i + 1} of ${team}` : '',
      created: rfc3339(created),
      lastUsed: rng.chance(0.7) ? created + rng.int(60, 5_000_000) : 0,
      expires: rng.chance(0.5) ? created + 365 * 86_400 : 0,
      admin: false,
      createdBy: 'platform-admin',
      // A server that wrongly returned a value must not leak it through the tap (not `pul-` shaped:
      // the tap masks those anyway, which would hide a leak from the test).
      ...(i === 0 ? { tokenValue: `team-token-value-${rng.hex(32)}` } : {}),
    };
  });
}

export const teamDetailRoutes: Route[] = [
  route('GET', '/api/orgs/:org/teams/:team/tokens', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    requireTeam(org, params.team);
    return ok({ tokens: teamTokens(org, params.team) });
  }),
  route('GET', '/api/orgs/:org/teams/:team', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    return ok(teamDetail(requireTeam(org, params.team)));
  }),
];

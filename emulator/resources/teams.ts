// Organization teams: GET /api/orgs/{org}/teams, in one piece; 403 on a plan without teams.
import { Rng, STACK_NAMES, TEAM_NAMES, type OrgData } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { membersData } from './members.js';
import { stacksData, type StackModel } from './stacks.js';

export interface EmulatedTeam {
  kind: 'pulumi' | 'github' | 'scim';
  name: string;
  displayName: string;
  description: string;
  members?: Array<{ name: string; githubLogin: string; avatarUrl: string; role: string }>;
  stacks?: Array<{ projectName: string; stackName: string; permission: 0 | 101 | 102 | 103 }>;
  environments?: Array<{ projectName: string; envName: string; permission: string }>;
  userRole?: string;
  roleIds?: string[];
}

export interface OrgTeams {
  /** False for the orgs of `orgsWithoutTeams`: a plan without teams. */
  available: boolean;
  teams: EmulatedTeam[];
}

const PERMISSIONS = [0, 101, 102, 103] as const;
const KINDS = ['pulumi', 'github', 'scim'] as const;

export const teamsData: OrgData<OrgTeams> = {
  name: 'teams',
  generate(org, model) {
    const members = org.get(membersData);
    const stacks = org.get(stacksData).list;
    const rng = Rng.of(org.seed, 'teams');
    const teams: EmulatedTeam[] = [];
    for (let i = 0; i < model.options.teamsPerOrg; i++) {
      const name = TEAM_NAMES[i] ?? `team-${i}`;
      const team: EmulatedTeam = {
        kind: KINDS[i % KINDS.length] ?? 'pulumi',
        name,
        displayName: name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase()),
        description: rng.chance(0.7) ? `The ${name} team` : '',
      };
      if (members.length > 0 && !rng.chance(0.15)) {
        team.members = members
          .filter(() => rng.chance(0.5))
          .map((m) => ({ name: m.user.name, githubLogin: m.user.githubLogin, avatarUrl: m.user.avatarUrl, role: rng.chance(0.2) ? 'admin' : 'member' }));
      }
      if (stacks.length > 0 && rng.chance(0.8)) {
        const picked = new Set<StackModel>();
        const want = rng.int(1, Math.min(5, stacks.length));
        for (let k = 0; k < want; k++) picked.add(rng.pick(stacks));
        team.stacks = [...picked].map((s) => ({ projectName: s.summary.projectName, stackName: s.summary.stackName, permission: rng.pick(PERMISSIONS) }));
      }
      if (rng.chance(0.5)) team.environments = [{ projectName: 'default', envName: rng.pick(STACK_NAMES), permission: rng.pick(['read', 'open', 'write', 'admin']) }];
      if (rng.chance(0.6)) team.userRole = rng.pick(['admin', 'member', 'none']);
      if (rng.chance(0.4)) team.roleIds = [rng.uuid()];
      teams.push(team);
    }
    return { available: !model.options.orgsWithoutTeams.includes(org.name), teams };
  },
};

export const teamRoutes: Route[] = [
  route('GET', '/api/orgs/:org/teams', (params, _query, { model }) => {
    const { available, teams } = knownOrg(model, params.org).get(teamsData);
    if (!available) throw new HttpError(403, 'Forbidden: teams are not available on this plan');
    return ok({ teams });
  }),
];

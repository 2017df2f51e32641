// Organization members: GET /api/orgs/{org}/members, paged by continuation token.
import { Rng, rfc3339, type OrgData } from '../data.js';
import { tokenPage, withContinuation } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';

export interface EmulatedUserInfo {
  name: string;
  githubLogin: string;
  avatarUrl: string;
  email?: string;
}

export type MemberRole = 'none' | 'member' | 'admin' | 'potential-member' | 'stack-collaborator' | 'billing-manager';

export interface EmulatedMember {
  role: MemberRole;
  user: EmulatedUserInfo;
  created: string;
  knownToPulumi: boolean;
  virtualAdmin: boolean;
  links?: { self: string };
  fgaRole?: { id: string; name: string; modifiedAt: string };
}

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Alan', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Edsger', 'Frances', 'Joan', 'Guido', 'Hedy', 'Niklaus', 'Sophie'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Turing', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Dijkstra', 'Allen', 'Clarke', 'van Rossum', 'Lamarr', 'Wirth', 'Wilson'];
const ROLES: ReadonlyArray<readonly [MemberRole, number]> = [
  ['member', 60],
  ['admin', 15],
  ['stack-collaborator', 10],
  ['billing-manager', 5],
  ['potential-member', 5],
  ['none', 5],
];

export const membersData: OrgData<EmulatedMember[]> = {
  name: 'members',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'members');
    const members: EmulatedMember[] = [];
    const logins = new Set<string>();
    let firstName = '';
    for (let i = 0; i < model.options.membersPerOrg; i++) {
      // Member 1 repeats member 0's display name: display names are not unique.
      const name = i === 1 ? firstName : `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
      if (i === 0) firstName = name;
      const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const login = logins.has(base) ? `${base}-${i}` : base;
      logins.add(login);
      const role: MemberRole = i === 0 ? 'admin' : rng.weighted(ROLES);
      const user: EmulatedUserInfo = { name, githubLogin: login, avatarUrl: `https://avatars.example.com/u/${login}` };
      if (rng.chance(0.8)) user.email = `${login}@example.com`;
      const created = 1_600_000_000 + rng.int(0, 90_000_000);
      const member: EmulatedMember = {
        role,
        user,
        created: rfc3339(created),
        knownToPulumi: role !== 'potential-member',
        virtualAdmin: i === 3,
        links: { self: `https://api.pulumi.com/api/orgs/${org.name}/members/${login}` },
      };
      if (rng.chance(0.5)) {
        member.fgaRole = { id: rng.uuid(), name: role === 'admin' ? 'Admin' : 'Member', modifiedAt: rfc3339(created + rng.int(0, 5_000_000)) };
      }
      members.push(member);
    }
    return members;
  },
};

/** A copy of a random member's user info: who owns, changes or runs something in the org; `fallback` when it has no members. */
export function someMemberUser(rng: Rng, members: readonly EmulatedMember[], fallback: EmulatedUserInfo): EmulatedUserInfo {
  return { ...(members.length > 0 ? rng.pick(members).user : fallback) };
}

export const memberRoutes: Route[] = [
  route('GET', '/api/orgs/:org/members', (params, query, { model }) => {
    const org = knownOrg(model, params.org);
    const type = query['type'];
    if (type !== undefined && type !== 'backend' && type !== 'frontend') throw new HttpError(400, "Invalid 'type' value.");
    const listing = { kind: 'members', scope: params.org };
    const page = tokenPage(org.get(membersData), query['continuationToken'], listing, model.options.membersPageSize);
    return ok(withContinuation({ members: page.items }, page.continuationToken));
  }),
];

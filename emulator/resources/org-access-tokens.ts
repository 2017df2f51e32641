// Organization access tokens: GET /api/orgs/{org}/tokens, every token's metadata in one answer;
// 403 where the org has no organization tokens (a plan below Enterprise, or a non-admin caller).
import { CLOCK_START, Rng, rfc3339, type OrgData } from '../data.js';
import { booleanParam } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { membersData } from './members.js';

export interface EmulatedAccessToken {
  id: string;
  name: string;
  description: string;
  /** RFC 3339. */
  created: string;
  /** Unix seconds; 0: never used. */
  lastUsed: number;
  /** Unix seconds; 0: never expires. */
  expires: number;
  admin: boolean;
  createdBy: string;
  role?: { id: string; name: string; defaultIdentifier: 'member' | 'admin' | 'stack-read' | 'stack-write' };
  /**
   * The token itself, which the service never sends after creation: here a server that does, so
   * that the tap is seen not to copy it. Not shaped like a Pulumi token (`pul-…`) on purpose: the
   * tap masks those in all its output, which would hide a leak from the test.
   */
  tokenValue?: string;
}

export interface OrgAccessTokens {
  /** False for the orgs of `orgsWithoutAccessTokens`. */
  available: boolean;
  tokens: EmulatedAccessToken[];
}

export const ACCESS_TOKENS_NOT_AVAILABLE = 'Forbidden: organization access tokens are available on the Enterprise and Business Critical editions';

const TOKEN_NAMES = ['ci-deploy', 'terraform-import', 'backstage', 'nightly-drift', 'reporting', 'github-actions'];
const ROLES = [
  { name: 'Stack writer', defaultIdentifier: 'stack-write' },
  { name: 'Read only', defaultIdentifier: 'stack-read' },
] as const;

/** Never (0), already expired, or years ahead (the data outlives the day it was written for). */
function expiryFor(rng: Rng, created: number): number {
  const kind = rng.weighted<'never' | 'expired' | 'later'>([
    ['never', 3],
    ['expired', 2],
    ['later', 3],
  ]);
  if (kind === 'never') return 0;
  return kind === 'expired' ? created + rng.int(86_400, CLOCK_START - created) : CLOCK_START + rng.int(5 * 365 * 86_400, 8 * 365 * 86_400);
}

export const orgAccessTokensData: OrgData<OrgAccessTokens> = {
  name: 'org-access-tokens',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'org-access-tokens');
    const members = org.get(membersData);
    const count = rng.int(2, TOKEN_NAMES.length);
    const tokens: EmulatedAccessToken[] = [];
    for (let i = 0; i < count; i++) {
      const created = CLOCK_START - rng.int(30 * 86_400, 700 * 86_400);
      const token: EmulatedAccessToken = {
        id: rng.uuid(),
        name: TOKEN_NAMES[i] ?? `token-${i}`,
        description: rng.chance(0.6) ? `Used by ${TOKEN_NAMES[i] ?? 'automation'}` : '',
        created: rfc3339(created),
        // The first token was never used and never expires: both 0.
        lastUsed: i === 0 ? 0 : created + rng.int(3600, CLOCK_START - created),
        expires: i === 0 ? 0 : expiryFor(rng, created),
        admin: rng.chance(0.3),
        createdBy: members.length > 0 ? rng.pick(members).user.githubLogin : 'org-admin',
        tokenValue: `tokval-${rng.hex(40)}`,
      };
      if (rng.chance(0.5)) {
        const role = rng.pick(ROLES);
        token.role = { id: rng.uuid(), name: role.name, defaultIdentifier: role.defaultIdentifier };
      }
      tokens.push(token);
    }
    return { available: !model.options.orgsWithoutAccessTokens.includes(org.name), tokens };
  },
};

export const orgAccessTokenRoutes: Route[] = [
  route('GET', '/api/orgs/:org/tokens', (params, query, { model }) => {
    const { available, tokens } = knownOrg(model, params.org).get(orgAccessTokensData);
    if (!available) throw new HttpError(403, ACCESS_TOKENS_NOT_AVAILABLE);
    // Expired tokens are left out unless asked for (DOCS: show_expired=true).
    const showExpired = booleanParam(query['show_expired'], 'show_expired') ?? false;
    const now = Math.floor(Date.now() / 1000);
    return ok({ tokens: tokens.filter((t) => showExpired || t.expires === 0 || t.expires > now) });
  }),
];

// OIDC issuers: GET /api/orgs/{org}/oidc/issuers, every registered issuer in one answer. The
// emulator sends no `jwks`: the document describes its keys with Go field names (KeyID, Key, ...)
// that a real JWKS would not carry, so which shape the service sends is not known.
import { CLOCK_START, Rng, rfc3339, type OrgData } from '../data.js';
import { knownOrg, ok, route, type Route } from '../routing.js';

export interface EmulatedOidcIssuer {
  id: string;
  name: string;
  url: string;
  issuer: string;
  thumbprints?: string[];
  /** Seconds. */
  maxExpiration?: number;
  /** RFC 3339. */
  created?: string;
  modified?: string;
  lastUsed?: string;
}

const PROVIDERS = [
  { name: 'github-actions', url: 'https://token.actions.githubusercontent.com' },
  { name: 'gitlab', url: 'https://gitlab.com' },
  { name: 'circleci', url: 'https://oidc.circleci.com/org/0f4bd2e5-7a38-4c11-9a3d-3d5b2f3e1c10' },
  { name: 'kubernetes', url: 'https://kubernetes.default.svc.cluster.local' },
] as const;

export const oidcIssuersData: OrgData<EmulatedOidcIssuer[]> = {
  name: 'oidc-issuers',
  generate(org) {
    const rng = Rng.of(org.seed, 'oidc-issuers');
    const count = rng.int(1, PROVIDERS.length);
    return PROVIDERS.slice(0, count).map((provider) => {
      const created = CLOCK_START - rng.int(30 * 86_400, 600 * 86_400);
      const issuer: EmulatedOidcIssuer = { id: rng.uuid(), name: provider.name, url: provider.url, issuer: provider.url };
      if (rng.chance(0.7)) issuer.thumbprints = [rng.hex(40)];
      if (rng.chance(0.5)) issuer.maxExpiration = rng.pick([3600, 7200, 86_400]);
      if (rng.chance(0.9)) {
        issuer.created = rfc3339(created);
        issuer.modified = rfc3339(created + rng.int(0, 20 * 86_400));
      }
      if (rng.chance(0.6)) issuer.lastUsed = rfc3339(CLOCK_START - rng.int(60, 20 * 86_400));
      return issuer;
    });
  },
};

export const oidcIssuerRoutes: Route[] = [
  route('GET', '/api/orgs/:org/oidc/issuers', (params, _query, { model }) => ok({ oidcIssuers: knownOrg(model, params.org).get(oidcIssuersData) })),
];

// ESC environments: GET /api/esc/environments/{org}, paged by continuation token, answered with
// `nextToken` (empty on the last page); 403 where ESC is not enabled.
import { Rng, spacedUtc, type EmulatorModel, type Org, type OrgData } from '../data.js';
import { positiveInt, tokenPage } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { membersData, someMemberUser, type EmulatedUserInfo } from './members.js';

export interface EmulatedEnvironment {
  id: string;
  organization: string;
  project: string;
  name: string;
  /** 'YYYY-MM-DD HH:MM:SS', UTC. */
  created: string;
  modified: string;
  ownedBy: EmulatedUserInfo;
  tags: Record<string, string>;
  links?: { self: string };
  referrerMetadata: { environmentReferrerCount: number; stackReferrerCount: number; insightsAccountReferrerCount: number };
  settings: { deletionProtected: boolean };
}

export interface EnvironmentModel {
  summary: EmulatedEnvironment;
  /** Unix seconds of `created` and `modified`, which revisions are spread between. */
  createdAt: number;
  modifiedAt: number;
  /** Position in generation order, which decides how many revisions it has. */
  index: number;
}

export interface OrgEnvironments {
  /** False for the orgs of `orgsWithoutEnvironments`: ESC not enabled. */
  available: boolean;
  /** By project, then name: the service's order. */
  list: EnvironmentModel[];
}

export const ESC_NOT_ENABLED = 'ESC is not enabled for this organization';
export const ENVIRONMENTS_DEFAULT_PAGE_SIZE = 50;
export const ENVIRONMENTS_MAX_PAGE_SIZE = 500;

const ENVIRONMENT_NAMES = ['dev', 'prod', 'shared', 'staging', 'test', 'ci'];
const FIRST_CREATED_MIN = 1_690_000_000;
const FIRST_CREATED_SPREAD = 40_000_000;
const TAG_CHOICES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['team', ['platform', 'payments', 'data']],
  ['cost-center', ['1001', '2040', '3300']],
  ['tier', ['gold', 'silver']],
];
/** Owner when the org has no members. */
const ESC_ADMIN: EmulatedUserInfo = { name: 'ESC Admin', githubLogin: 'esc-admin', avatarUrl: 'https://avatars.example.com/u/esc-admin' };

function environmentKey(project: string, name: string): string {
  return `${project}\u0000${name}`;
}

function projectFor(rng: Rng): string {
  return rng.weighted<string>([
    ['default', 4],
    ['infra', 2],
    [`app-${rng.int(1, 3)}`, 3],
  ]);
}

function tagsFor(rng: Rng): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, values] of TAG_CHOICES) if (rng.chance(0.4)) tags[key] = rng.pick(values);
  return tags;
}

function generateEnvironment(org: Org, rng: Rng, project: string, name: string, index: number): EnvironmentModel {
  const createdAt = FIRST_CREATED_MIN + rng.int(0, FIRST_CREATED_SPREAD);
  const modifiedAt = createdAt + rng.int(2 * 86_400, 15_000_000);
  const summary: EmulatedEnvironment = {
    id: rng.uuid(),
    organization: org.name,
    project,
    name,
    created: spacedUtc(createdAt * 1000, 'seconds'),
    modified: spacedUtc(modifiedAt * 1000, 'seconds'),
    ownedBy: someMemberUser(rng, org.get(membersData), ESC_ADMIN),
    tags: tagsFor(rng),
    links: { self: `https://api.pulumi.com/api/esc/environments/${encodeURIComponent(org.name)}/${encodeURIComponent(project)}/${encodeURIComponent(name)}` },
    referrerMetadata: { environmentReferrerCount: rng.int(0, 4), stackReferrerCount: rng.int(0, 12), insightsAccountReferrerCount: rng.int(0, 1) },
    settings: { deletionProtected: rng.chance(0.3) },
  };
  return { summary, createdAt, modifiedAt, index };
}

function byProjectThenName(a: EnvironmentModel, b: EnvironmentModel): number {
  return a.summary.project.localeCompare(b.summary.project) || a.summary.name.localeCompare(b.summary.name);
}

export const environmentsData: OrgData<OrgEnvironments> = {
  name: 'environments',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'environments');
    const taken = new Set<string>();
    const list: EnvironmentModel[] = [];
    for (let i = 0; i < model.options.environmentsPerOrg; i++) {
      const project = projectFor(rng);
      const name = ENVIRONMENT_NAMES.find((n) => !taken.has(environmentKey(project, n))) ?? `env-${i}`;
      taken.add(environmentKey(project, name));
      list.push(generateEnvironment(org, rng, project, name, i));
    }
    return { available: !model.options.orgsWithoutEnvironments.includes(org.name), list: list.sort(byProjectThenName) };
  },
};

/** The org's environments, or the service's 403 where ESC is not enabled. */
export function escEnabledOrg(model: EmulatorModel, name: string): { org: Org; environments: OrgEnvironments } {
  const org = knownOrg(model, name);
  const environments = org.get(environmentsData);
  if (!environments.available) throw new HttpError(403, ESC_NOT_ENABLED);
  return { org, environments };
}

export function findEnvironment(environments: OrgEnvironments, project: string, name: string): EnvironmentModel | undefined {
  return environments.list.find((e) => e.summary.project === project && e.summary.name === name);
}

export const environmentRoutes: Route[] = [
  route('GET', '/api/esc/environments/:org', (params, query, { model }) => {
    const { environments } = escEnabledOrg(model, params.org);
    const requested = positiveInt(query['maxResults'], 'maxResults') ?? ENVIRONMENTS_DEFAULT_PAGE_SIZE;
    const listing = { kind: 'environments', scope: params.org };
    const page = tokenPage(environments.list, query['continuationToken'], listing, Math.min(requested, ENVIRONMENTS_MAX_PAGE_SIZE));
    return ok({ environments: page.items.map((e) => e.summary), nextToken: page.continuationToken ?? '' });
  }),
];

// ESC environment revisions: GET /api/esc/environments/{org}/{project}/{env}/versions, a bare array,
// newest first, paged by keyset (`before` a revision number, `count` per page); and revisions added
// at run time.
import { Rng, rfc3339, spacedUtc, type EmulatorModel, type Org, type OrgData } from '../data.js';
import { nonNegativeInt, positiveInt } from '../paging.js';
import { HttpError, ok, route, type Route } from '../routing.js';
import { environmentsData, escEnabledOrg, findEnvironment, type EnvironmentModel } from './environments.js';
import { membersData, someMemberUser, type EmulatedUserInfo } from './members.js';

export interface EmulatedRevision {
  number: number;
  /** RFC 3339 with 'Z'. */
  created: string;
  creatorLogin: string;
  creatorName: string;
  tags: string[];
  retracted?: { replacement: number; at: string; byLogin: string; byName: string; reason: string };
  sourceChangeRequest?: { id: string; description: string };
}

/** Each environment's revisions, oldest first, by environment. */
export type OrgRevisions = Map<EnvironmentModel, EmulatedRevision[]>;

export const REVISIONS_DEFAULT_COUNT = 100;
export const REVISIONS_MAX_COUNT = 500;

const ESC_EDITOR: EmulatedUserInfo = { name: 'ESC Editor', githubLogin: 'esc-editor', avatarUrl: 'https://avatars.example.com/u/esc-editor' };
const RETRACT_REASONS = ['Leaked a credential', 'Broke the staging deploy', 'Wrong region'];
const CHANGE_REQUESTS = ['Rotate database password', 'Add Datadog API key', 'Point at the new cluster'];

/** How many revisions the environment generated `index`-th has: one full history, one without any, the rest varied. */
function revisionCount(rng: Rng, index: number, max: number): number {
  if (max === 0 || index === 1) return 0;
  if (index === 0) return max;
  return rng.chance(0.25) ? rng.int(1, Math.max(1, Math.floor(max / 4))) : rng.int(Math.ceil(max / 2), max);
}

/** Creation times from the environment's `created` to its `modified`, strictly increasing. */
function revisionTimes(env: EnvironmentModel, count: number): number[] {
  const times: number[] = [];
  const span = env.modifiedAt - env.createdAt;
  for (let k = 0; k < count; k++) {
    const spread = count === 1 ? 0 : Math.floor((span * k) / (count - 1));
    times.push(Math.max(env.createdAt + spread, (times[k - 1] ?? -Infinity) + 1));
  }
  return times;
}

function generateRevisions(org: Org, env: EnvironmentModel, max: number): EmulatedRevision[] {
  const rng = Rng.of(org.seed, 'environment-revisions', env.summary.project, env.summary.name);
  const members = org.get(membersData);
  const times = revisionTimes(env, revisionCount(rng, env.index, max));
  const revisions = times.map((time, k): EmulatedRevision => {
    const creator = someMemberUser(rng, members, ESC_EDITOR);
    const revision: EmulatedRevision = { number: k + 1, created: rfc3339(time), creatorLogin: creator.githubLogin, creatorName: creator.name, tags: [] };
    if (rng.chance(0.2)) revision.tags.push(`v${k + 1}`);
    if (rng.chance(0.15)) revision.sourceChangeRequest = { id: rng.uuid(), description: rng.pick(CHANGE_REQUESTS) };
    return revision;
  });
  // A retraction is itself a new revision: the next one replaces the retracted one.
  for (const [k, revision] of revisions.entries()) {
    const replacement = revisions[k + 1];
    if (replacement && rng.chance(0.1)) {
      revision.retracted = { replacement: replacement.number, at: replacement.created, byLogin: replacement.creatorLogin, byName: replacement.creatorName, reason: rng.pick(RETRACT_REASONS) };
    }
  }
  const newest = revisions[revisions.length - 1];
  if (newest) newest.tags = rng.chance(0.3) ? ['latest', 'stable'] : ['latest'];
  return revisions;
}

export const revisionsData: OrgData<OrgRevisions> = {
  name: 'environment-revisions',
  generate(org, model) {
    const revisions: OrgRevisions = new Map();
    for (const env of org.get(environmentsData).list) revisions.set(env, generateRevisions(org, env, model.options.revisionsPerEnvironment));
    return revisions;
  },
};

function environmentNotFound(org: string, project: string, name: string): HttpError {
  return new HttpError(404, `Not Found: environment '${org}/${project}/${name}' not found`);
}

/** For the inspection and mutation methods: an unknown environment is the calling test's mistake. */
export function requireRevisions(model: EmulatorModel, orgName: string, project: string, name: string): { env: EnvironmentModel; revisions: EmulatedRevision[] } {
  const org = model.requireOrg(orgName);
  const env = findEnvironment(org.get(environmentsData), project, name);
  const revisions = env && org.get(revisionsData).get(env);
  if (!env || !revisions) throw new RangeError(`unknown environment ${orgName}/${project}/${name}`);
  return { env, revisions };
}

/** Appends revision N+1, created now and tagged `latest`, and moves the environment's `modified` to now. */
export function addRevision(model: EmulatorModel, orgName: string, project: string, name: string): EmulatedRevision {
  const { env, revisions } = requireRevisions(model, orgName, project, name);
  const now = model.tick();
  const rng = Rng.of(model.options.seed, 'added-revision', model.nextSerial('added-revision'));
  const creator = someMemberUser(rng, model.requireOrg(orgName).get(membersData), ESC_EDITOR);
  for (const revision of revisions) revision.tags = revision.tags.filter((t) => t !== 'latest');
  const revision: EmulatedRevision = { number: revisions.length + 1, created: rfc3339(now), creatorLogin: creator.githubLogin, creatorName: creator.name, tags: ['latest'] };
  revisions.push(revision);
  env.modifiedAt = now;
  env.summary.modified = spacedUtc(now * 1000, 'seconds');
  return structuredClone(revision);
}

export const revisionRoutes: Route[] = [
  route('GET', '/api/esc/environments/:org/:project/:env/versions', (params, query, { model }) => {
    const { org, environments } = escEnabledOrg(model, params.org);
    const env = findEnvironment(environments, params.project, params.env);
    const revisions = env && org.get(revisionsData).get(env);
    if (!revisions) throw environmentNotFound(params.org, params.project, params.env);
    const before = nonNegativeInt(query['before'], 'before');
    const count = Math.min(positiveInt(query['count'], 'count') ?? REVISIONS_DEFAULT_COUNT, REVISIONS_MAX_COUNT);
    // Numbers are 1..N in order, so the revisions below `before` are the first before-1.
    const below = before === undefined ? revisions : revisions.slice(0, Math.max(0, before - 1));
    return ok(below.slice(Math.max(0, below.length - count)).reverse());
  }),
];

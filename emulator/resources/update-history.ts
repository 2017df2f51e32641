// A stack's update history, derived on demand from (seed, org, stack, version) so that very large
// models cost almost nothing until a stack is mutated; only then is its history stored.
import { Rng, TEAM_NAMES, type Org } from '../data.js';
import { membersData, type EmulatedUserInfo } from './members.js';
import type { StackModel } from './stacks.js';

export type UpdateResult = 'not-started' | 'in-progress' | 'succeeded' | 'failed';

export interface EmulatedConfigValue {
  string: string;
  secret: boolean;
  object: boolean;
}

export interface EmulatedUpdateInfo {
  kind: string;
  startTime: number;
  endTime: number;
  result: UpdateResult;
  message: string;
  environment: Record<string, string>;
  config: Record<string, EmulatedConfigValue>;
  version: number;
  resourceChanges?: Record<string, number>;
  resourceCount?: number;
}

export interface EmulatedGithubCommitInfo {
  slug: string;
  sha: string;
  url: string;
  message?: string;
  author?: EmulatedUserInfo;
  committer?: EmulatedUserInfo;
}

export interface EmulatedPolicyPack {
  name: string;
  displayName: string;
  version: number;
  versionTag: string;
  config?: Record<string, unknown>;
}

/** One element of the service-shape (`output-type=service`) update list. */
export interface EmulatedUpdate {
  info: EmulatedUpdateInfo;
  updateID: string;
  version: number;
  latestVersion: number;
  requestedBy: EmulatedUserInfo;
  githubCommitInfo?: EmulatedGithubCommitInfo;
  policyPacks?: EmulatedPolicyPack[];
  requestedByToken?: string;
}

/** What a stack's history is derived from. */
export interface UpdateHistory {
  seed: number;
  /** Newest version; versions are always 1..updateCount. */
  updateCount: number;
  firstStart: number;
  step: number;
  newestInProgress: boolean;
  /** Present once the stack was mutated: its whole history, oldest first. */
  stored?: EmulatedUpdate[];
}

const MESSAGES = [
  'Bump instance size',
  'Add monitoring dashboards',
  'Fix security group rules',
  'Rotate database credentials',
  'Refactor networking component',
  'Merge pull request #412 from feature/cache',
  'Enable bucket versioning',
  '',
];
const KINDS: ReadonlyArray<readonly [string, number]> = [
  ['update', 55],
  ['preview', 25],
  ['refresh', 12],
  ['destroy', 5],
  ['import', 3],
];
/** Who runs what Pulumi Deployments runs. */
export const BOT_USER: EmulatedUserInfo = {
  name: 'Pulumi Deployments',
  githubLogin: 'pulumi-deployments-bot',
  avatarUrl: 'https://avatars.example.com/u/pulumi-deployments-bot',
};

export function startTimeOf(stack: StackModel, version: number): number {
  const jitter = Math.floor(Rng.of(stack.seed, 'start', version).next() * Math.floor(stack.step / 2));
  return stack.firstStart + (version - 1) * stack.step + jitter;
}

/** Service-shape elements, newest first, starting `offset` items after the newest. */
export function updatesNewestFirst(org: Org, stack: StackModel, offset: number, limit: number): EmulatedUpdate[] {
  const out: EmulatedUpdate[] = [];
  const first = stack.updateCount - offset;
  const last = Math.max(1, first - limit + 1);
  for (let version = first; version >= last; version--) out.push(stack.stored?.[version - 1] ?? deriveUpdate(org, stack, version));
  return out;
}

/** The stack's whole history, oldest first, stored from now on so that it can be changed. */
export function storedHistory(org: Org, stack: StackModel): EmulatedUpdate[] {
  if (!stack.stored) {
    const history: EmulatedUpdate[] = [];
    for (let v = 1; v <= stack.updateCount; v++) history.push(deriveUpdate(org, stack, v));
    stack.stored = history;
  }
  return stack.stored;
}

export function deriveUpdate(org: Org, stack: StackModel, version: number, startOverride?: number): EmulatedUpdate {
  const rng = Rng.of(stack.seed, 'update', version);
  const members = org.get(membersData);
  const project = stack.summary.projectName;
  const startTime = startOverride ?? startTimeOf(stack, version);
  const inProgress = stack.newestInProgress && version === stack.updateCount;
  const kind = rng.weighted(KINDS);
  const result: UpdateResult = inProgress ? 'in-progress' : rng.chance(0.12) ? 'failed' : 'succeeded';
  const maxDuration = Math.max(1, Math.min(1800, Math.floor(stack.step / 2) - 1));
  const endTime = inProgress ? 0 : startTime + rng.int(1, maxDuration);
  const sha = rng.hex(40);
  const message = rng.pick(MESSAGES);
  const member = members.length > 0 && !rng.chance(0.1) ? rng.pick(members) : undefined;
  const requestedBy = member ? { ...member.user } : { ...BOT_USER };

  const environment: Record<string, string> = {
    'exec.kind': 'cli',
    'git.head': sha,
    'git.headName': rng.chance(0.8) ? 'refs/heads/main' : `refs/heads/feature-${rng.int(1, 999)}`,
    'git.author': requestedBy.name,
    'vcs.kind': 'github.com',
    'vcs.owner': org.name,
    'vcs.repo': project,
  };
  if (requestedBy.email) environment['git.author.email'] = requestedBy.email;
  if (rng.chance(0.4)) {
    environment['ci.system'] = 'GitHub';
    environment['github.actor'] = requestedBy.githubLogin;
  }

  const config: Record<string, EmulatedConfigValue> = {
    [`${project}:region`]: { string: rng.pick(['us-west-2', 'eu-central-1', 'ap-southeast-1']), secret: false, object: false },
  };
  if (rng.chance(0.7)) config[`${project}:password`] = { string: `v1:${rng.base64(24)}`, secret: true, object: false };
  if (rng.chance(0.3)) config[`${project}:tags`] = { string: JSON.stringify({ team: rng.pick(TEAM_NAMES) }), secret: false, object: true };

  const info: EmulatedUpdateInfo = { kind, startTime, endTime, result, message, environment, config, version };
  if (!inProgress && rng.chance(0.85)) {
    const changes: Record<string, number> = { same: rng.int(0, 200) };
    if (version === 1 || rng.chance(0.5)) changes['create'] = rng.int(1, 30);
    if (rng.chance(0.3)) changes['update'] = rng.int(1, 10);
    if (rng.chance(0.15)) changes['delete'] = rng.int(1, 5);
    if (rng.chance(0.1)) changes['create-replacement'] = rng.int(1, 3);
    info.resourceChanges = changes;
  }
  if (!inProgress && rng.chance(0.8)) info.resourceCount = rng.int(1, 400);

  const update: EmulatedUpdate = {
    info,
    updateID: rng.uuid(),
    version,
    latestVersion: stack.updateCount,
    requestedBy,
  };
  if (rng.chance(0.6)) {
    const commit: EmulatedGithubCommitInfo = {
      slug: `${org.name}/${project}`,
      sha,
      url: `https://github.com/${org.name}/${project}/commit/${sha}`,
    };
    if (message) commit.message = message;
    commit.author = { ...requestedBy };
    if (rng.chance(0.5)) commit.committer = { ...requestedBy };
    update.githubCommitInfo = commit;
  }
  if (rng.chance(0.3)) {
    const pack: EmulatedPolicyPack = { name: 'aws-compliance-ready', displayName: 'AWS Compliance Ready', version: 2, versionTag: '0.1.2' };
    if (rng.chance(0.5)) pack.config = { all: { enforcementLevel: 'advisory' } };
    update.policyPacks = [pack];
  }
  if (rng.chance(0.15)) update.requestedByToken = `pul-${rng.hex(40)}`;
  return update;
}

// Organization deployments: GET /api/orgs/{org}/deployments, newest first unless `asc=true`, in
// numbered pages with `itemsPerPage` and `total`; empty for an org that does not use Deployments.
// Deployments are kept as the facts they are made of and rendered for every answer, so that a
// status changed at run time brings its jobs and updates along.
import { CLOCK_START, Rng, rfc3339, spacedUtc, type EmulatorModel, type Org, type OrgData } from '../data.js';
import { booleanParam, numberedPage } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { membersData, someMemberUser, type EmulatedUserInfo } from './members.js';
import { stacksData } from './stacks.js';
import { BOT_USER, type UpdateResult } from './update-history.js';

export type DeploymentStatus = 'not-started' | 'accepted' | 'running' | 'failed' | 'succeeded' | 'skipped';
export type PulumiOperation = 'update' | 'preview' | 'destroy' | 'refresh' | 'detect-drift' | 'remediate-drift';
export type DeploymentInitiator = 'console' | 'cli' | 'webhook' | 'schedule';
type StepStatus = 'not-started' | 'running' | 'failed' | 'succeeded';

export interface EmulatedDeploymentUpdate {
  id: string;
  updateID: string;
  version: number;
  startTime: number;
  endTime: number;
  result: UpdateResult;
  kind: string;
  message: string;
  /** Can hold credentials on the real service; here a fake one that must never reach the tap's output. */
  environment: Record<string, string>;
}

export interface EmulatedDeploymentStep {
  name: string;
  status: StepStatus;
  started: string;
  lastUpdated: string;
}

export interface EmulatedDeploymentJob {
  status: DeploymentStatus;
  started: string;
  lastUpdated: string;
  steps: EmulatedDeploymentStep[];
}

export interface EmulatedDeployment {
  id: string;
  /** 'YYYY-MM-DD HH:MM:SS.fff', UTC. */
  created: string;
  modified: string;
  status: DeploymentStatus;
  version: number;
  requestedBy: EmulatedUserInfo;
  projectName: string;
  stackName: string;
  paused: boolean;
  pulumiOperation: PulumiOperation;
  updates: EmulatedDeploymentUpdate[];
  jobs: EmulatedDeploymentJob[];
  initiator: DeploymentInitiator;
  agentPool?: { id: string; name: string };
}

/** What a deployment is made of; `render` turns it into the service's shape. */
export interface DeploymentModel {
  seed: number;
  id: string;
  createdMs: number;
  modifiedMs: number;
  status: DeploymentStatus;
  version: number;
  projectName: string;
  stackName: string;
  paused: boolean;
  pulumiOperation: PulumiOperation;
  requestedBy: EmulatedUserInfo;
  initiator: DeploymentInitiator;
  agentPool?: { id: string; name: string };
  /** Numbers the fake secret in the updates' environment. */
  secretNumber: number;
}

export interface OrgDeployments {
  /** Oldest first: created times only grow. */
  list: DeploymentModel[];
}

export const DEPLOYMENTS_DEFAULT_PAGE_SIZE = 10;
export const DEPLOYMENTS_MAX_PAGE_SIZE = 100;
/** The time a step or job that has not started reports. */
export const NOT_STARTED_TIME = '0001-01-01T00:00:00Z';

/** Generated deployments were created in the 45 days before the model's clock, the newest an hour before it. */
const WINDOW_MS = 45 * 86_400_000;
const WINDOW_END_MS = (CLOCK_START - 3600) * 1000;
const OPERATIONS: ReadonlyArray<readonly [PulumiOperation, number]> = [
  ['update', 50],
  ['preview', 25],
  ['refresh', 10],
  ['destroy', 5],
  ['detect-drift', 7],
  ['remediate-drift', 3],
];
const INITIATORS: ReadonlyArray<readonly [DeploymentInitiator, number]> = [
  ['console', 40],
  ['webhook', 30],
  ['cli', 20],
  ['schedule', 10],
];
const FINISHED: ReadonlyArray<readonly [DeploymentStatus, number]> = [
  ['succeeded', 70],
  ['failed', 20],
  ['skipped', 10],
];
const UPDATE_KIND: Readonly<Record<PulumiOperation, string>> = {
  update: 'update',
  preview: 'preview',
  destroy: 'destroy',
  refresh: 'refresh',
  'detect-drift': 'refresh',
  'remediate-drift': 'update',
};
const MESSAGES = ['Deploy from main', 'Scheduled drift check', 'Merge pull request #88', 'Nightly refresh', ''];
const STEP_NAMES = ['Get source', 'Install dependencies', 'Run Pulumi', 'Clean up'];
/** The step that runs the Pulumi operation: from there on an update exists. */
const OPERATION_STEP = 2;

function stepsFor(status: DeploymentStatus, stop: number, times: readonly string[]): EmulatedDeploymentStep[] {
  return STEP_NAMES.map((name, i): EmulatedDeploymentStep => {
    const done: StepStatus = i < stop ? 'succeeded' : i > stop ? 'not-started' : status === 'failed' ? 'failed' : status === 'running' ? 'running' : 'succeeded';
    const started = done === 'not-started' ? NOT_STARTED_TIME : (times[i] ?? NOT_STARTED_TIME);
    const lastUpdated = done === 'not-started' ? NOT_STARTED_TIME : (times[done === 'running' ? STEP_NAMES.length : i + 1] ?? NOT_STARTED_TIME);
    return { name, status: done, started, lastUpdated };
  });
}

/** The deployment's one job; none for a skipped deployment, which never ran. */
function jobsFor(d: DeploymentModel, rng: Rng): EmulatedDeploymentJob[] {
  if (d.status === 'skipped') return [];
  if (d.status === 'accepted' || d.status === 'not-started') {
    return [{ status: d.status, started: NOT_STARTED_TIME, lastUpdated: NOT_STARTED_TIME, steps: stepsFor(d.status, -1, []) }];
  }
  // Step boundaries spread from creation to the last modification.
  const start = Math.floor(d.createdMs / 1000);
  const span = Math.floor(d.modifiedMs / 1000) - start;
  const times = STEP_NAMES.map((_, i) => rfc3339(start + Math.floor((span * i) / STEP_NAMES.length))).concat(rfc3339(start + span));
  const stop = d.status === 'succeeded' ? STEP_NAMES.length : d.status === 'running' ? rng.int(0, STEP_NAMES.length - 1) : rng.int(0, OPERATION_STEP);
  return [{ status: d.status, started: rfc3339(start), lastUpdated: rfc3339(start + span), steps: stepsFor(d.status, stop, times) }];
}

function updatesFor(org: Org, d: DeploymentModel, jobs: readonly EmulatedDeploymentJob[]): EmulatedDeploymentUpdate[] {
  const operationStep = jobs[0]?.steps[OPERATION_STEP];
  if (!operationStep || operationStep.status === 'not-started') return [];
  // Not drawn per status: the update keeps its ids when the deployment finishes.
  const rng = Rng.of(d.seed, 'update');
  const result: UpdateResult = operationStep.status === 'running' ? 'in-progress' : operationStep.status === 'failed' ? 'failed' : 'succeeded';
  const startTime = Math.floor(Date.parse(operationStep.started) / 1000);
  const endTime = result === 'in-progress' ? 0 : Math.floor(Date.parse(operationStep.lastUpdated) / 1000);
  const environment: Record<string, string> = {
    'exec.kind': 'auto.local',
    'git.head': rng.hex(40),
    'vcs.kind': 'github.com',
    'vcs.owner': org.name,
    'vcs.repo': d.projectName,
    PULUMI_DEPLOYMENT_ID: d.id,
    AWS_ACCESS_KEY_ID: `AKIAEMULATOR${String(d.secretNumber).padStart(8, '0')}`,
    AWS_SECRET_ACCESS_KEY: `not-a-real-secret-${d.secretNumber}`,
  };
  return [
    { id: rng.uuid(), updateID: rng.uuid(), version: d.version, startTime, endTime, result, kind: UPDATE_KIND[d.pulumiOperation], message: rng.pick(MESSAGES), environment },
  ];
}

/** The service's shape of a deployment, derived from what it is made of. */
export function renderDeployment(org: Org, d: DeploymentModel): EmulatedDeployment {
  const jobs = jobsFor(d, Rng.of(d.seed, 'jobs', d.status));
  return {
    id: d.id,
    created: spacedUtc(d.createdMs, 'millis'),
    modified: spacedUtc(d.modifiedMs, 'millis'),
    status: d.status,
    version: d.version,
    requestedBy: { ...d.requestedBy },
    projectName: d.projectName,
    stackName: d.stackName,
    paused: d.paused,
    pulumiOperation: d.pulumiOperation,
    updates: updatesFor(org, d, jobs),
    jobs,
    initiator: d.initiator,
    ...(d.agentPool ? { agentPool: { ...d.agentPool } } : {}),
  };
}

interface DeploymentFacts {
  createdMs: number;
  status: DeploymentStatus;
  stack: { projectName: string; stackName: string };
  version: number;
  secretNumber: number;
  pulumiOperation?: PulumiOperation;
}

/** Draws the rest of a deployment from `rng`: what ran, who asked, how long it took. */
function newDeployment(org: Org, rng: Rng, agentPool: { id: string; name: string }, facts: DeploymentFacts): DeploymentModel {
  const initiator = rng.weighted(INITIATORS);
  const requestedBy = initiator === 'schedule' ? { ...BOT_USER } : someMemberUser(rng, org.get(membersData), BOT_USER);
  const finished = facts.status === 'succeeded' || facts.status === 'failed' || facts.status === 'skipped';
  const durationMs = finished ? rng.int(30_000, 1_800_000) : rng.int(2_000, 120_000);
  const deployment: DeploymentModel = {
    seed: rng.int(0, 0xffffffff),
    id: rng.uuid(),
    createdMs: facts.createdMs,
    modifiedMs: facts.createdMs + durationMs,
    status: facts.status,
    version: facts.version,
    projectName: facts.stack.projectName,
    stackName: facts.stack.stackName,
    paused: rng.chance(0.05),
    pulumiOperation: facts.pulumiOperation ?? rng.weighted(OPERATIONS),
    requestedBy,
    initiator,
    secretNumber: facts.secretNumber,
  };
  if (rng.chance(0.3)) deployment.agentPool = { ...agentPool };
  return deployment;
}

function stackKey(stack: { projectName: string; stackName: string }): string {
  return `${stack.projectName}\u0000${stack.stackName}`;
}

/** The status of the `i`-th oldest of `count`: the newest runs, the one before it may still wait. */
function generatedStatus(rng: Rng, i: number, count: number): DeploymentStatus {
  if (i === count - 1) return 'running';
  if (i === count - 2 && rng.chance(0.5)) return 'accepted';
  return rng.weighted(FINISHED);
}

function orgAgentPool(org: Org): { id: string; name: string } {
  return { id: Rng.of(org.seed, 'agent-pool').uuid(), name: `${org.name}-pool` };
}

export const deploymentsData: OrgData<OrgDeployments> = {
  name: 'deployments',
  generate(org, model) {
    const stacks = org.get(stacksData).list.map((s) => s.summary);
    const count = model.options.deploymentsPerOrg;
    if (stacks.length === 0 || model.options.orgsWithoutDeployments.includes(org.name)) return { list: [] };
    const rng = Rng.of(org.seed, 'deployments');
    // Distinct creation times, oldest first.
    const offsets = [...new Set(Array.from({ length: count }, () => rng.int(0, WINDOW_MS)))].sort((a, b) => a - b);
    while (offsets.length < count) offsets.push((offsets[offsets.length - 1] ?? 0) + 1);
    const versions = new Map<string, number>();
    const pool = orgAgentPool(org);
    const list = offsets.map((offset, i) => {
      const stack = rng.pick(stacks);
      const version = (versions.get(stackKey(stack)) ?? 0) + 1;
      versions.set(stackKey(stack), version);
      const facts = { createdMs: WINDOW_END_MS - WINDOW_MS + offset, status: generatedStatus(rng, i, count), stack, version, secretNumber: i + 1 };
      return newDeployment(org, rng, pool, facts);
    });
    return { list };
  },
};

type SortField = 'created' | 'modified';

function sortField(value: string | undefined): SortField {
  if (value === undefined || value === '' || value === 'created') return 'created';
  if (value === 'modified') return 'modified';
  throw new HttpError(400, "Invalid 'sort' value.");
}

function ordered(list: readonly DeploymentModel[], field: SortField, ascending: boolean): DeploymentModel[] {
  const key = (d: DeploymentModel): number => (field === 'created' ? d.createdMs : d.modifiedMs);
  const sorted = [...list].sort((a, b) => key(a) - key(b) || a.createdMs - b.createdMs);
  return ascending ? sorted : sorted.reverse();
}

/** Newest first, as the endpoint answers by default. */
export function deploymentsNewestFirst(org: Org): EmulatedDeployment[] {
  return ordered(org.get(deploymentsData).list, 'created', false).map((d) => renderDeployment(org, d));
}

export const deploymentRoutes: Route[] = [
  route('GET', '/api/orgs/:org/deployments', (params, query, { model }) => {
    const org = knownOrg(model, params.org);
    const ascending = booleanParam(query['asc'], 'asc') ?? false;
    const field = sortField(query['sort']);
    const window = numberedPage(query, { defaultSize: DEPLOYMENTS_DEFAULT_PAGE_SIZE, maxSize: DEPLOYMENTS_MAX_PAGE_SIZE }) ?? {
      offset: 0,
      pageSize: DEPLOYMENTS_DEFAULT_PAGE_SIZE,
    };
    const list = org.get(deploymentsData).list;
    const page = ordered(list, field, ascending).slice(window.offset, window.offset + window.pageSize);
    return ok({ deployments: page.map((d) => renderDeployment(org, d)), itemsPerPage: window.pageSize, total: list.length });
  }),
];

function requireDeployment(model: EmulatorModel, orgName: string, id: string): { org: Org; deployment: DeploymentModel } {
  const org = model.requireOrg(orgName);
  const deployment = org.get(deploymentsData).list.find((d) => d.id === id);
  if (!deployment) throw new RangeError(`organization '${orgName}' has no deployment ${id}`);
  return { org, deployment };
}

/** Adds a deployment created now (running unless told otherwise), of a given stack or a random one of the org's. */
export function addDeployment(
  model: EmulatorModel,
  orgName: string,
  opts: { status?: DeploymentStatus; projectName?: string; stackName?: string; pulumiOperation?: PulumiOperation } = {},
): EmulatedDeployment {
  const org = model.requireOrg(orgName);
  const serial = model.nextSerial('added-deployment');
  const rng = Rng.of(model.options.seed, 'added-deployment', serial);
  const stacks = org.get(stacksData).list.map((s) => s.summary);
  const stack = opts.projectName === undefined ? (stacks.length > 0 ? rng.pick(stacks) : undefined) : stacks.find((s) => s.projectName === opts.projectName && s.stackName === opts.stackName);
  if (!stack) throw new RangeError(`organization '${orgName}' has no stack ${opts.projectName ?? ''}/${opts.stackName ?? ''} to deploy`);
  const list = org.get(deploymentsData).list;
  const version = 1 + Math.max(0, ...list.filter((d) => stackKey(d) === stackKey(stack)).map((d) => d.version));
  const facts: DeploymentFacts = { createdMs: model.tick() * 1000, status: opts.status ?? 'running', stack, version, secretNumber: 1000 + serial };
  if (opts.pulumiOperation) facts.pulumiOperation = opts.pulumiOperation;
  const deployment = newDeployment(org, rng, orgAgentPool(org), facts);
  // It was modified when it was created; the clock moves on only with the next change.
  deployment.modifiedMs = deployment.createdMs;
  list.push(deployment);
  return renderDeployment(org, deployment);
}

/** Moves a deployment to `status`, modified now. */
export function setDeploymentStatus(model: EmulatorModel, orgName: string, id: string, status: DeploymentStatus): EmulatedDeployment {
  const { org, deployment } = requireDeployment(model, orgName, id);
  deployment.status = status;
  deployment.modifiedMs = Math.max(model.tick() * 1000, deployment.createdMs);
  return renderDeployment(org, deployment);
}

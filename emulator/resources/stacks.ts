// Stacks: GET /api/user/stacks, every org's stacks (or one org's, one project's) paged by
// continuation token; and stacks added at run time.
import { Rng, STACK_NAMES, type EmulatorModel, type Org, type OrgData } from '../data.js';
import { positiveInt, tokenPage, withContinuation } from '../paging.js';
import { knownOrg, ok, route, type Route } from '../routing.js';
import { deriveUpdate, startTimeOf, type UpdateHistory } from './update-history.js';

export interface EmulatedStack {
  id: string;
  orgName: string;
  projectName: string;
  stackName: string;
  lastUpdate?: number;
  resourceCount?: number;
  links?: { self: string };
}

export interface StackModel extends UpdateHistory {
  summary: EmulatedStack;
}

export interface OrgStacks {
  /** In the service's order: stable, but unrelated to lastUpdate. */
  list: StackModel[];
  byKey: Map<string, StackModel>;
}

const FIRST_START_MIN = 1_700_000_000;
const FIRST_START_SPREAD = 20_000_000;
const HISTORY_SPAN = 25_000_000;

function stackKey(project: string, stack: string): string {
  return `${project}\u0000${stack}`;
}

function projectName(index: number): string {
  // Every third project has a dot in its name, to exercise path encoding in clients.
  return index % 3 === 1 ? `proj.svc-${index}` : `proj-${index}`;
}

function stackLink(org: string, project: string, stack: string): string {
  return `https://app.pulumi.com/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(stack)}`;
}

function generateStack(org: Org, model: EmulatorModel, project: string, stackName: string, index: number, rng: Rng): StackModel {
  const n = model.options.updatesPerStack;
  let count: number;
  const r = rng.next();
  if (n === 0) count = 0;
  else if (index === 0) count = n; // at least one full-length history per org
  else if (index === 1) count = 0; // and one stack that was never updated
  else if (r < 0.06) count = 0;
  else if (r < 0.18) count = rng.int(1, Math.max(1, Math.floor(n / 3)));
  else count = rng.int(Math.ceil(n * 0.6), n);
  if (index === 2 && n > 0) count = Math.max(count, 1);
  const newestInProgress = count > 0 && (index === 2 || rng.chance(model.options.runningShare));
  const firstStart = FIRST_START_MIN + rng.int(0, FIRST_START_SPREAD);
  const step = count > 0 ? Math.max(4, Math.min(rng.int(3600, 259_200), Math.floor(HISTORY_SPAN / count))) : 3600;
  const id = rng.uuid();
  const seed = rng.int(0, 0xffffffff);
  const stack: StackModel = {
    summary: { id, orgName: org.name, projectName: project, stackName },
    seed,
    updateCount: count,
    firstStart,
    step,
    newestInProgress,
  };
  // Built in the API's key order; a never-updated stack has neither lastUpdate nor resourceCount.
  stack.summary = {
    id,
    orgName: org.name,
    projectName: project,
    stackName,
    ...(count > 0 ? { lastUpdate: startTimeOf(stack, count), resourceCount: rng.int(1, 400) } : {}),
    links: { self: stackLink(org.name, project, stackName) },
  };
  if (count > 0) {
    // Match the newest update's resource count where it reports one.
    const newest = deriveUpdate(org, stack, count).info.resourceCount;
    if (newest !== undefined) stack.summary.resourceCount = newest;
  }
  return stack;
}

export const stacksData: OrgData<OrgStacks> = {
  name: 'stacks',
  generate(org, model) {
    const { stacksPerOrg } = model.options;
    const rng = Rng.of(org.seed, 'stacks');
    const projectCount = Math.max(1, Math.min(stacksPerOrg, Math.max(3, Math.ceil(stacksPerOrg / 5))));
    const byKey = new Map<string, StackModel>();
    const list: StackModel[] = [];
    for (let i = 0; i < stacksPerOrg; i++) {
      const project = projectName(rng.int(0, projectCount - 1));
      let stackName = STACK_NAMES.find((s) => !byKey.has(stackKey(project, s))) ?? `stack-${i}`;
      if (byKey.has(stackKey(project, stackName))) stackName = `stack-${i}-${rng.hex(4)}`;
      const stack = generateStack(org, model, project, stackName, i, rng);
      list.push(stack);
      byKey.set(stackKey(project, stackName), stack);
    }
    // The service's order is stable but unrelated to lastUpdate: shuffle the generation order.
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const a = list[i];
      const b = list[j];
      if (a && b) {
        list[i] = b;
        list[j] = a;
      }
    }
    return { list, byKey };
  },
};

export function findStack(org: Org, project: string, stack: string): StackModel | undefined {
  return org.get(stacksData).byKey.get(stackKey(project, stack));
}

/** For the inspection and mutation methods: an unknown stack is the calling test's mistake. */
export function requireStack(model: EmulatorModel, orgName: string, project: string, stackName: string): { org: Org; stack: StackModel } {
  const org = model.requireOrg(orgName);
  const stack = findStack(org, project, stackName);
  if (!stack) throw new RangeError(`unknown stack ${orgName}/${project}/${stackName}`);
  return { org, stack };
}

/** Adds a never-updated stack at the end of its org's listing. */
export function addStack(model: EmulatorModel, orgName: string, project: string, stackName: string): EmulatedStack {
  const stacks = model.requireOrg(orgName).get(stacksData);
  const key = stackKey(project, stackName);
  if (stacks.byKey.has(key)) throw new RangeError(`stack ${orgName}/${project}/${stackName} already exists`);
  const rng = Rng.of(model.options.seed, 'added-stack', model.nextSerial('added-stack'));
  const stack: StackModel = {
    summary: {
      id: rng.uuid(),
      orgName,
      projectName: project,
      stackName,
      links: { self: stackLink(orgName, project, stackName) },
    },
    seed: rng.int(0, 0xffffffff),
    updateCount: 0,
    firstStart: model.now(),
    step: 3600,
    newestInProgress: false,
    stored: [],
  };
  stacks.list.push(stack);
  stacks.byKey.set(key, stack);
  return { ...stack.summary };
}

export const stackRoutes: Route[] = [
  route('GET', '/api/user/stacks', (_params, query, { model }) => {
    const orgName = query['organization'] || undefined;
    const project = query['project'] || undefined;
    const orgs = (orgName === undefined ? model.orgNames() : [orgName]).map((name) => knownOrg(model, name));
    const requested = positiveInt(query['maxResults'], 'maxResults') ?? model.options.stacksDefaultPageSize;
    const pageSize = Math.min(requested, model.options.stacksMaxPageSize);
    const stacks = orgs.flatMap((org) => org.get(stacksData).list.filter((s) => project === undefined || s.summary.projectName === project));
    const listing = { kind: 'stacks', scope: JSON.stringify([orgName ?? null, project ?? null]) };
    const page = tokenPage(stacks, query['continuationToken'], listing, pageSize);
    return ok(withContinuation({ stacks: page.items.map((s) => s.summary) }, page.continuationToken));
  }),
];

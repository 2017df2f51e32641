// One stack's detail: GET /api/stacks/{org}/{project}/{stack} (tags, cloud config, the operation in
// progress), and its Pulumi Deployments schedules and drift runs. Each is derived from the stack's
// own key, so it is the same on every request and no other resource's data changes.
import { Rng, rfc3339, spacedUtc, type Org } from '../data.js';
import { numberedPage } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { findStack, type StackModel } from './stacks.js';
import { startTimeOf, storedHistory } from './update-history.js';

const TAGS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['owner', ['platform', 'payments', 'data']],
  ['cost-center', ['1001', '2040', '3300']],
  ['environment', ['development', 'production']],
  ['pulumi:description', ['The main service', 'Shared networking']],
];

export const DRIFT_RUNS_DEFAULT_PAGE_SIZE = 10;
export const DRIFT_RUNS_MAX_PAGE_SIZE = 100;

function requireStack(org: Org, project: string, stack: string): StackModel {
  const found = findStack(org, project, stack);
  if (!found) throw new HttpError(404, `Stack '${org.name}/${project}/${stack}' not found`);
  return found;
}

function rngOf(org: Org, stack: StackModel, what: string): Rng {
  return Rng.of(org.seed, what, stack.summary.projectName, stack.summary.stackName);
}

/** The stack's current version: its newest update, or 0 for a stack never updated. */
function versionOf(org: Org, stack: StackModel): number {
  return stack.stored ? storedHistory(org, stack).length : stack.updateCount;
}

export function stackDetail(org: Org, stack: StackModel): Record<string, unknown> {
  const rng = rngOf(org, stack, 'stack-detail');
  const { orgName, projectName, stackName } = stack.summary;
  const tags: Record<string, string> = { 'pulumi:project': projectName };
  for (const [name, values] of TAGS) if (rng.chance(0.5)) tags[name] = rng.pick(values);
  const version = versionOf(org, stack);
  const running = stack.newestInProgress && version > 0;
  return {
    orgName,
    projectName,
    stackName,
    id: stack.summary.id,
    activeUpdate: version > 0 ? rng.uuid() : '',
    ...(running ? { currentOperation: { kind: 'update', author: 'pulumi-deployments-bot', started: startTimeOf(stack, version) } } : {}),
    tags,
    // Key material: a reader must never copy it (the secrets test looks for it).
    ...(rng.chance(0.6)
      ? { config: { environment: `${projectName}/${stackName}`, secretsProvider: 'service', encryptedKey: `ENCRYPTED-KEY-${rng.hex(24)}`, encryptionSalt: `SALT-${rng.hex(16)}` } }
      : {}),
    version,
  };
}

export function stackSchedules(org: Org, stack: StackModel): Array<Record<string, unknown>> {
  const rng = rngOf(org, stack, 'stack-schedules');
  const count = rng.weighted<number>([
    [0, 5],
    [1, 3],
    [2, 2],
  ]);
  const created = stack.firstStart + rng.int(0, 86_400 * 30);
  return Array.from({ length: count }, (_, i) => {
    const cron = i === 0 && rng.chance(0.7);
    const at = created + i * 3600;
    return {
      id: rng.uuid(),
      orgID: rng.uuid(),
      ...(cron ? { scheduleCron: '0 6 * * 1-5' } : { scheduleOnce: rfc3339(at + 86_400 * 60) }),
      nextExecution: rfc3339(at + 86_400 * 61),
      paused: rng.chance(0.2),
      kind: 'deployment',
      // The document types the definition as a map of objects (what each kind needs).
      definition: {
        request: {
          operation: rng.pick(['update', 'refresh', 'detect-drift', 'destroy']),
          inheritSettings: true,
          // Deployment settings carry credentials in many places: a reader must never copy them.
          operationContext: {
            environmentVariables: { DEPLOY_SECRET_TOKEN: `schedule-secret-${rng.hex(20)}` },
            preRunCommands: [`export API_KEY=schedule-secret-${rng.hex(20)}`],
            options: { remediateIfDriftDetected: rng.chance(0.5), deleteAfterDestroy: false },
          },
          sourceContext: { git: { repoURL: 'https://github.com/example/infra', gitAuth: { accessToken: { secret: `schedule-secret-${rng.hex(20)}` } } } },
          executorContext: { executorImage: { reference: 'pulumi/pulumi:latest', credentials: { username: 'ci', password: { secret: `schedule-secret-${rng.hex(20)}` } } } },
        },
      },
      created: spacedUtc(at * 1000, 'millis'),
      modified: spacedUtc((at + 60) * 1000, 'millis'),
      lastExecuted: rng.chance(0.7) ? spacedUtc((at + 86_400) * 1000, 'millis') : '',
    };
  });
}

export function driftRuns(org: Org, stack: StackModel): Array<Record<string, unknown>> {
  const rng = rngOf(org, stack, 'drift-runs');
  const count = rng.chance(0.5) ? rng.int(1, 14) : 0;
  const first = stack.firstStart + 86_400;
  // Newest first, as the service lists them.
  return Array.from({ length: count }, (_, i) => {
    const created = first + (count - 1 - i) * 86_400;
    const detected = rng.chance(0.3);
    const update = (status: string) => ({ updateId: rng.uuid(), resourceChanges: detected ? { update: rng.int(1, 4), same: rng.int(5, 40) } : { same: rng.int(5, 40) }, modified: spacedUtc((created + 120) * 1000, 'millis'), status });
    return {
      id: rng.uuid(),
      driftDetected: detected,
      created: spacedUtc(created * 1000, 'millis'),
      status: i === 0 && rng.chance(0.3) ? 'running' : 'succeeded',
      deploymentId: rng.uuid(),
      deploymentVersion: count - i,
      detectUpdate: update('succeeded'),
      ...(detected && rng.chance(0.5) ? { remediateUpdate: update('succeeded') } : {}),
    };
  });
}

export const stackDetailRoutes: Route[] = [
  route('GET', '/api/stacks/:org/:project/:stack/deployments/schedules', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    return ok({ schedules: stackSchedules(org, requireStack(org, params.project, params.stack)) });
  }),
  route('GET', '/api/stacks/:org/:project/:stack/drift/runs', (params, query, { model }) => {
    const org = knownOrg(model, params.org);
    const runs = driftRuns(org, requireStack(org, params.project, params.stack));
    const window = numberedPage(query, { defaultSize: DRIFT_RUNS_DEFAULT_PAGE_SIZE, maxSize: DRIFT_RUNS_MAX_PAGE_SIZE }) ?? { offset: 0, pageSize: DRIFT_RUNS_DEFAULT_PAGE_SIZE };
    return ok({ driftRuns: runs.slice(window.offset, window.offset + window.pageSize), itemsPerPage: window.pageSize, total: runs.length });
  }),
  route('GET', '/api/stacks/:org/:project/:stack', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    return ok(stackDetail(org, requireStack(org, params.project, params.stack)));
  }),
];

import type { DeploymentRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { arrayOf, asObject, bool, cursorTime, int, isoTime, keyString, objectOf, str, userInfo } from './fields.js';

/** Statuses a deployment leaves: an unknown one is taken as final, so that it cannot pin the bookmark for ever. */
const UNFINISHED = new Set(['not-started', 'accepted', 'running']);

const agentPool = objectOf({ id: str, name: str });
const step = objectOf({ name: str, status: str, started: isoTime, last_updated: isoTime });
const jobs = arrayOf(objectOf({ status: str, started: isoTime, last_updated: isoTime, steps: arrayOf(step) }));

/**
 * The updates a deployment ran, field by field: their `environment` (CI variables) can hold secrets,
 * so nothing beyond these fields is copied.
 */
function deploymentUpdates(value: unknown) {
  if (!Array.isArray(value)) return null;
  return value.flatMap((raw) => {
    const u = asObject(raw);
    if (!u) return [];
    const endTime = int(u.endTime);
    return [{ id: str(u.id), update_id: str(u.updateID), version: int(u.version), start_time: int(u.startTime), end_time: endTime === 0 ? null : endTime, result: str(u.result), kind: str(u.kind), message: str(u.message) }];
  });
}

/**
 * Pulumi Deployments runs of each organization (GET /api/orgs/ORG/deployments), newest first by
 * `created`. Incremental on `created` with a look-back (`deployments_lookback_days`): a run's status
 * changes after it was created, so the last days are read again; an unfinished run also holds the
 * bookmark until it ends. Empty where the organization does not use Deployments.
 */
export const deployments = defineStream({
  name: 'deployments',
  keyProperties: ['org_name', 'id'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/deployments',
    path: (c) => `${orgPath(c)}/deployments`,
    // The default order is not documented: ask for newest first by creation.
    query: () => ({ sort: 'created', asc: 'false' }),
    paging: (config) => ({ kind: 'page-number', pageSize: Math.min(config.pageSize, 100) }),
    records: 'deployments',
  },
  cursor: {
    field: 'created',
    type: 'rfc3339',
    order: 'newest-first',
    lookbackSeconds: (config) => config.deploymentsLookbackDays * 86_400,
    isSettled: (deployment) => !UNFINISHED.has(deployment.status ?? ''),
  },
  requires: 'deployEnabled',
  statuses: { unavailable: [403, 404] },
  toRecord(raw: unknown, context: Context): DeploymentRecord {
    const d = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      id: keyString(d.id, 'id'),
      created: cursorTime(d.created, 'created'),
      modified: isoTime(d.modified),
      status: str(d.status),
      version: int(d.version),
      project_name: str(d.projectName),
      stack_name: str(d.stackName),
      paused: bool(d.paused),
      pulumi_operation: str(d.pulumiOperation),
      requested_by: userInfo(d.requestedBy),
      initiator: str(d.initiator),
      agent_pool: agentPool(d.agentPool),
      updates: deploymentUpdates(d.updates),
      jobs: jobs(d.jobs),
    };
  },
});

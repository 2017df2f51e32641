import type { DeploymentScheduleRecord, DriftRunRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { stackKeys, stackPath } from './context.js';
import { stacks } from './stacks.js';
import { asObject, bool, camelToSnake, dataMap, int, isoTime, keyString, objectOf, setOwn, snakeKeys, str, type Json, type JsonObject } from './fields.js';

/** Keys whose values are deployment settings that may hold secrets: never copied, at any depth. */
const SECRET_SETTINGS = new Set(['environmentVariables', 'environment']);

/** An object snake_cased, without the settings that can carry secrets. */
function keptSettings(object: Record<string, unknown>): JsonObject {
  const kept: JsonObject = {};
  for (const [key, inner] of Object.entries(object)) if (!SECRET_SETTINGS.has(key)) setOwn(kept, camelToSnake(key), withoutSecretSettings(inner));
  return kept;
}

function withoutSecretSettings(value: unknown): Json {
  if (Array.isArray(value)) return value.map(withoutSecretSettings);
  const object = asObject(value);
  return object ? keptSettings(object) : snakeKeys(value);
}

/** What a schedule runs, without the settings that can carry secrets. */
export function scheduleDefinition(value: unknown): JsonObject | null {
  const object = asObject(value);
  return object && keptSettings(object);
}

/**
 * Scheduled actions of each stack (GET /api/stacks/ORG/PROJECT/STACK/deployments/schedules):
 * recurring and one-off deployments, drift detection, TTL destroys. Not paged. One request per stack
 * on every run, so it is off by default.
 */
export const deploymentSchedules = defineStream({
  name: 'deployment_schedules',
  keyProperties: ['org_name', 'project_name', 'stack_name', 'id'],
  selectedByDefault: false,
  parent: stacks,
  request: {
    endpoint: '/api/stacks/{org}/{project}/{stack}/deployments/schedules',
    path: (c) => `${stackPath(c)}/deployments/schedules`,
    paging: () => ({ kind: 'none' }),
    records: 'schedules',
  },
  // 404: the stack was deleted since it was listed; 403/402: Deployments is not on the plan.
  requires: 'deployEnabled',
  statuses: { gone: [404], unavailable: [402, 403] },
  toRecord(raw: unknown, context: Context): DeploymentScheduleRecord {
    const s = asObject(raw) ?? {};
    return {
      ...stackKeys(context),
      id: keyString(s.id, 'id'),
      org_id: str(s.orgID),
      kind: str(s.kind),
      schedule_cron: str(s.scheduleCron),
      schedule_once: isoTime(s.scheduleOnce),
      next_execution: isoTime(s.nextExecution),
      paused: bool(s.paused),
      definition: scheduleDefinition(s.definition),
      created: isoTime(s.created),
      modified: isoTime(s.modified),
      last_executed: isoTime(s.lastExecuted),
    };
  },
});

/** `resourceChanges` maps operation names (data, kept as sent) to resource counts. */
const driftUpdate = objectOf({ update_id: str, resource_changes: (value: unknown) => dataMap(value, int), modified: isoTime, status: str });

/**
 * Drift detection runs of each stack (GET /api/stacks/ORG/PROJECT/STACK/drift/runs, page numbers).
 * Full refresh: the sort order is not documented, so no bookmark could be trusted. One request per
 * stack (and per page of its runs) on every run, so it is off by default.
 */
export const driftRuns = defineStream({
  name: 'drift_runs',
  keyProperties: ['org_name', 'project_name', 'stack_name', 'id'],
  selectedByDefault: false,
  parent: stacks,
  request: {
    endpoint: '/api/stacks/{org}/{project}/{stack}/drift/runs',
    path: (c) => `${stackPath(c)}/drift/runs`,
    paging: (config) => ({ kind: 'page-number', pageSize: Math.min(config.pageSize, 100), totalField: 'total', itemsPerPageField: 'itemsPerPage' }),
    records: 'driftRuns',
  },
  statuses: { gone: [404], unavailable: [402, 403] },
  toRecord(raw: unknown, context: Context): DriftRunRecord {
    const r = asObject(raw) ?? {};
    return {
      ...stackKeys(context),
      id: keyString(r.id, 'id'),
      drift_detected: bool(r.driftDetected),
      created: isoTime(r.created),
      status: str(r.status),
      deployment_id: str(r.deploymentId),
      deployment_version: int(r.deploymentVersion),
      detect_update: driftUpdate(r.detectUpdate),
      remediate_update: driftUpdate(r.remediateUpdate),
    };
  },
});

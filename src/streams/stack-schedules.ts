import type { DeploymentScheduleRecord, DriftRunRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { stackKeys, stackPath } from './context.js';
import { stacks } from './stacks.js';
import { asObject, bool, dataMap, int, isoTime, keyString, objectOf, str } from './fields.js';

/** An option's value: flags and short settings only; anything nested is not copied. */
function optionValue(value: unknown): string | number | boolean | null {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
}

/**
 * What a schedule runs, field by field: its program, operation, whether it inherits the stack's
 * deployment settings, and its options. Nothing else of the definition is copied: deployment
 * settings carry credentials (git tokens, SSH keys, registry passwords, environment variables,
 * pre-run commands) in many places.
 */
export function scheduleDefinition(value: unknown): DeploymentScheduleRecord['definition'] {
  const definition = asObject(value);
  if (!definition) return null;
  const request = asObject(definition.request);
  const options = asObject(asObject(request?.operationContext)?.options);
  return {
    program_id: str(definition.programID),
    operation: str(request?.operation),
    inherit_settings: bool(request?.inheritSettings),
    options: options && dataMap(options, optionValue),
  };
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

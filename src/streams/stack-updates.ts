import type { StackUpdateRecord } from '../generated/records.js';
import { arrayOf, asObject, bool, cursorInt, dataMap, dataObject, int, isExactInteger, isString, keyInt, keyString, objectOf, str, uniformMap, userInfo } from './fields.js';
import { defineStream, type Context } from '../core/stream.js';
import { stackPath } from './context.js';
import { stacks } from './stacks.js';

const UNFINISHED_RESULTS = new Set(['not-started', 'in-progress']);

const configValueFields = objectOf({ string: str, secret: bool, object: bool });

/** Whether an object has no key but these: the usual config value, converted without the general path. */
function hasOnlyKeys(object: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const key in object) if (!keys.has(key)) return false;
  return true;
}
const CONFIG_VALUE_KEYS = new Set(['string', 'secret', 'object']);

/**
 * A secret's `string` is ciphertext: the key stays (with secret: true), the value does not, and
 * neither does any other field of a secret value, which could carry it too.
 */
function configValue(raw: unknown) {
  const value = asObject(raw);
  if (!value) return null;
  const secret = bool(value.secret);
  if (secret === true) return { string: null, secret, object: bool(value.object) };
  // Every update carries every config value: the common shape skips objectOf's per-key work.
  if (hasOnlyKeys(value, CONFIG_VALUE_KEYS)) return { string: str(value.string), secret, object: bool(value.object) };
  return configValueFields(value);
}

const githubCommitInfo = objectOf({ slug: str, sha: str, url: str, message: str, author: userInfo, committer: userInfo });

/** A policy pack's `config` is keyed by policy names and user settings: kept as sent. */
const policyPacks = arrayOf(objectOf({ name: str, display_name: str, version: int, version_tag: str, config: dataObject }));

/** The element's version, or info's (the legacy shape has only the latter): it keys the update. */
function versionOf(element: Record<string, unknown>, info: Record<string, unknown>): number {
  if (element.version !== undefined && element.version !== null) return keyInt(element.version, 'version');
  return keyInt(info.version, 'version (info.version)');
}

/** The API sends endTime 0 until the update finishes; a destination would read 0 as 1970. */
function endTimeOf(value: unknown): number | null {
  const endTime = int(value);
  return endTime === 0 ? null : endTime;
}

/** Each stack's update history (GET /api/stacks/ORG/PROJECT/STACK/updates?output-type=service). */
export const stackUpdates = defineStream({
  name: 'stack_updates',
  keyProperties: ['org_name', 'project_name', 'stack_name', 'version'],
  parent: stacks,
  request: {
    endpoint: '/api/stacks/{org}/{project}/{stack}/updates',
    path: (c) => `${stackPath(c)}/updates`,
    query: () => ({ 'output-type': 'service' }),
    paging: (config) => ({ kind: 'page-number', pageSize: Math.min(config.pageSize, 100) }),
    records: 'updates',
  },
  cursor: {
    field: 'start_time',
    type: 'unix-seconds',
    order: 'newest-first',
    // A stack's lastUpdate is the start of its newest update: an unchanged stack costs no request.
    unchangedWhenParent: 'last_update',
    isSettled: (record) => !UNFINISHED_RESULTS.has(record.result ?? ''),
  },
  // The stack was deleted after it was listed.
  statuses: { gone: [404] },
  toRecord(raw: unknown, context: Context): StackUpdateRecord {
    const element = asObject(raw) ?? {};
    // The service shape wraps UpdateInfo in `info`; the legacy shape is UpdateInfo itself.
    const info = asObject(element.info) ?? element;
    return {
      org_name: keyString(context.org_name, 'org_name'),
      project_name: keyString(context.project_name, 'project_name'),
      stack_name: keyString(context.stack_name, 'stack_name'),
      version: versionOf(element, info),
      update_id: str(element.updateID),
      kind: str(info.kind),
      result: str(info.result),
      message: str(info.message),
      start_time: cursorInt(info.startTime, 'start_time (startTime)'),
      end_time: endTimeOf(info.endTime),
      environment: uniformMap(info.environment, isString, str),
      config: dataMap(info.config, configValue),
      resource_changes: uniformMap(info.resourceChanges, isExactInteger, int),
      resource_count: int(info.resourceCount),
      latest_version: int(element.latestVersion),
      requested_by: userInfo(element.requestedBy),
      github_commit_info: githubCommitInfo(element.githubCommitInfo),
      policy_packs: policyPacks(element.policyPacks),
    };
  },
});

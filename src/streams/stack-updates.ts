import type { StackUpdateRecord } from '../generated/records.js';
import { asObject, bool, dataMap, int, isInteger, isString, snakeObject, str, uniformMap } from './fields.js';
import type { StreamDefinition } from './types.js';

const UNFINISHED_RESULTS = new Set(['not-started', 'in-progress']);

type ConfigValue = { string: string | null; secret: boolean | null; object: boolean | null };

/** A secret's `string` is ciphertext: the key stays (with secret: true), the value does not. */
function configValue(raw: unknown): ConfigValue | null {
  const v = asObject(raw);
  if (!v) return null;
  const secret = bool(v.secret);
  return { string: secret ? null : str(v.string), secret, object: bool(v.object) };
}

/** A policy pack's `config` is keyed by policy names and user settings: kept as sent. */
function policyPack(raw: unknown) {
  const p = asObject(raw) ?? {};
  return {
    name: str(p.name),
    display_name: str(p.displayName),
    version: int(p.version),
    version_tag: str(p.versionTag),
    config: asObject(p.config),
  };
}

export const stackUpdates: StreamDefinition<StackUpdateRecord> = {
  name: 'stack_updates',
  description: "Each stack's update history (GET /api/stacks/ORG/PROJECT/STACK/updates?output-type=service).",
  keyProperties: ['org_name', 'project_name', 'stack_name', 'version'],
  replicationKey: 'start_time',
  parent: 'stacks',
  endpoint: '/api/stacks/{org}/{project}/{stack}/updates',
  context: (organization, parent) => ({
    org_name: str(parent?.org_name) ?? organization,
    project_name: str(parent?.project_name) ?? '',
    stack_name: str(parent?.stack_name) ?? '',
  }),
  path: (c) => `/api/stacks/${encodeURIComponent(c.org_name ?? '')}/${encodeURIComponent(c.project_name ?? '')}/${encodeURIComponent(c.stack_name ?? '')}/updates`,
  query: () => ({ 'output-type': 'service' }),
  itemsKey: 'updates',
  paging: (config) => ({ kind: 'page-number', pageSize: Math.min(config.pageSize, 100) }),
  newestFirst: true,
  missingMeansGone: true,
  toRecord(raw, context) {
    const element = asObject(raw) ?? {};
    // The service shape wraps UpdateInfo in `info`; the legacy shape is UpdateInfo itself.
    const info = asObject(element.info) ?? element;
    const version = int(element.version) ?? int(info.version) ?? 0;
    return {
      org_name: context.org_name ?? '',
      project_name: context.project_name ?? '',
      stack_name: context.stack_name ?? '',
      version,
      update_id: str(element.updateID),
      kind: str(info.kind),
      result: str(info.result),
      message: str(info.message),
      start_time: int(info.startTime),
      end_time: int(info.endTime),
      environment: uniformMap(info.environment, isString, str),
      config: dataMap(info.config, configValue),
      resource_changes: uniformMap(info.resourceChanges, isInteger, int),
      resource_count: int(info.resourceCount),
      latest_version: int(element.latestVersion),
      requested_by: snakeObject(element.requestedBy),
      github_commit_info: snakeObject(element.githubCommitInfo),
      policy_packs: Array.isArray(element.policyPacks) ? element.policyPacks.map(policyPack) : null,
    };
  },
  isSettled: (record) => !UNFINISHED_RESULTS.has(record.result ?? ''),
  parentShowsChanges(stack, bookmark) {
    // An update was running last time: its row must be read again, finished.
    if (bookmark.unsettled) return true;
    const lastUpdate = int(stack.last_update);
    // No last update time (or 0, as a queued update may show): unchanged only if the history was
    // empty when last read; otherwise nothing can be concluded, so read.
    if (lastUpdate === null || lastUpdate <= 0) return !(bookmark.fromState && bookmark.value === 0);
    if (lastUpdate > bookmark.value) return true;
    if (lastUpdate < bookmark.value) return false;
    // The newest update is the one at the bookmark: already read, finished, unless the bookmark is start_date.
    return !bookmark.fromState;
  },
};

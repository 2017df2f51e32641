import type { AgentPoolRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, bool, int, keyString, str } from './fields.js';

/** 10^11 seconds is the year 5138; as milliseconds it is March 1973. */
const MILLISECONDS_ABOVE = 1e11;

/**
 * An agent pool time as Unix seconds. The API's OpenAPI document says seconds, while Pulumi's own
 * earlier tap read `created` as milliseconds: a value above 10^11 can only be milliseconds, and is
 * divided by 1000. 0 (no time) is null.
 */
export function poolSeconds(value: unknown): number | null {
  const time = int(value);
  if (time === null || time <= 0) return null;
  return time > MILLISECONDS_ABOVE ? Math.floor(time / 1000) : time;
}

/**
 * Self-hosted Pulumi Deployments agent pools of each organization (GET /api/orgs/ORG/agent-pools),
 * in one answer. The API refuses with 403 where the organization may not use self-hosted agents or
 * the caller may not see them: that organization is skipped.
 */
export const agentPools = defineStream({
  name: 'agent_pools',
  keyProperties: ['org_name', 'id'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/agent-pools',
    path: (c) => `${orgPath(c)}/agent-pools`,
    paging: () => ({ kind: 'none' }),
    records: 'agentPools',
  },
  statuses: { unavailable: [403] },
  toRecord(raw: unknown, context: Context): AgentPoolRecord {
    const p = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      id: keyString(p.id, 'id'),
      name: str(p.name),
      description: str(p.description),
      created: poolSeconds(p.created),
      last_seen: poolSeconds(p.lastSeen),
      last_deployment: poolSeconds(p.lastDeployment),
      status: str(p.status),
      is_default: bool(p.isDefault),
    };
  },
});

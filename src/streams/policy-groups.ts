import type { PolicyGroupRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { WHOLE_BODY } from '../core/paging.js';
import { orgPath, organizationContext } from './context.js';
import { arrayOf, asObject, bool, dataObject, int, keyString, objectOf, str, strings } from './fields.js';

interface PolicyGroupName extends Record<string, unknown> {
  org_name: string;
  name: string;
}

/**
 * The names of each organization's policy groups (GET /api/orgs/ORG/policygroups, not paged): read
 * only to ask for each group's detail, which holds everything the listing has but its counts. Not
 * a stream of the catalog.
 */
const policyGroupNames = defineStream({
  name: 'policy_group_names',
  keyProperties: ['org_name', 'name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/policygroups',
    path: (c) => `${orgPath(c)}/policygroups`,
    paging: () => ({ kind: 'none' }),
    records: 'policyGroups',
  },
  // Not documented per plan: a refusal is read as "not on this plan or not allowed".
  statuses: { unavailable: [402, 403, 404] },
  childContext: (group) => ({ org_name: group.org_name, policy_group: group.name }),
  toRecord: (raw: unknown, context: Context): PolicyGroupName => ({ org_name: keyString(context.org_name, 'org_name'), name: keyString(asObject(raw)?.name, 'name') }),
});

const stackReferences = arrayOf(objectOf({ name: str, routing_project: str }));
const appliedPacks = arrayOf(
  objectOf({ name: str, display_name: str, version: int, version_tag: str, config: dataObject, environments: strings }),
);

/** Each policy group's detail (GET /api/orgs/ORG/policygroups/NAME): the stacks it covers and the packs it applies. */
export const policyGroups = defineStream({
  name: 'policy_groups',
  keyProperties: ['org_name', 'name'],
  parent: policyGroupNames,
  request: {
    endpoint: '/api/orgs/{org}/policygroups/{group}',
    path: (c) => `${orgPath(c)}/policygroups/${encodeURIComponent(c.policy_group ?? '')}`,
    paging: () => ({ kind: 'none' }),
    records: WHOLE_BODY,
  },
  // Deleted since it was listed.
  statuses: { gone: [404] },
  toRecord(raw: unknown, context: Context): PolicyGroupRecord {
    const g = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      name: keyString(g.name ?? context.policy_group, 'name'),
      is_org_default: bool(g.isOrgDefault),
      entity_type: str(g.entityType),
      mode: str(g.mode),
      stacks: stackReferences(g.stacks),
      applied_policy_packs: appliedPacks(g.appliedPolicyPacks),
      accounts: strings(g.accounts),
      agent_pool_id: str(g.agentPoolId),
    };
  },
});

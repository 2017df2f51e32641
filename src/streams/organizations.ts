import type { OrganizationRecord } from '../generated/records.js';
import { WHOLE_BODY } from '../core/paging.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, bool, camelToSnake, int, isoTime, keyString, setOwn, str } from './fields.js';

/**
 * The `features` flags: their names are the API's own (camelCase, snake_cased like every API field),
 * not data, but the set grows as the service adds features, so they are a map rather than declared
 * properties. A value that is not a boolean becomes null.
 */
export function featureFlags(value: unknown): Record<string, boolean | null> | null {
  const object = asObject(value);
  if (!object) return null;
  const out: Record<string, boolean | null> = {};
  for (const [name, flag] of Object.entries(object)) setOwn(out, camelToSnake(name), bool(flag));
  return out;
}

/**
 * Each organization's metadata (GET /api/orgs/ORG/metadata): one document, one record. The service
 * calls it an inexpensive call. The deprecated top-level `auditLogsEnabled` and `webhooksEnabled`
 * are not copied: `features` holds both.
 */
export const organizations = defineStream({
  name: 'organizations',
  keyProperties: ['org_name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/metadata',
    path: (c) => `${orgPath(c)}/metadata`,
    paging: () => ({ kind: 'none' }),
    records: WHOLE_BODY,
  },
  toRecord(raw: unknown, context: Context): OrganizationRecord {
    const m = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      id: str(m.id),
      kind: str(m.kind),
      created: isoTime(m.created),
      backing_org_login: str(m.backingOrgLogin),
      product: str(m.product),
      subscription_status: str(m.subscriptionStatus),
      subscription_trial_end: int(m.subscriptionTrialEnd),
      subscription_cancel_at_period_end: bool(m.subscriptionCancelAtPeriodEnd),
      subscription_period_end: isoTime(m.subscriptionPeriodEnd),
      user_role: str(m.userRole),
      default_stack_permission: int(m.defaultStackPermission),
      default_environment_permission: str(m.defaultEnvironmentPermission),
      default_account_permission: int(m.defaultAccountPermission),
      members_can_create_stacks: bool(m.membersCanCreateStacks),
      members_can_delete_stacks: bool(m.membersCanDeleteStacks),
      members_can_transfer_stacks: bool(m.membersCanTransferStacks),
      members_can_create_teams: bool(m.membersCanCreateTeams),
      members_can_create_accounts: bool(m.membersCanCreateAccounts),
      neo_enabled: bool(m.neoEnabled),
      neo_approval_mode: str(m.neoApprovalMode),
      neo_task_sharing_mode: str(m.neoTaskSharingMode),
      ai_enablement: str(m.aiEnablement),
      insights_trial_end: int(m.insightsTrialEnd),
      insights_billing_accepted: bool(m.insightsBillingAccepted),
      insights_trial_using_policy: bool(m.insightsTrialUsingPolicy),
      preferred_vcs: str(m.preferredVCS),
      locked: str(m.locked),
      default_role_id: str(m.defaultRoleId),
      default_deployment_role_id: str(m.defaultDeploymentRoleId),
      features: featureFlags(m.features),
      account_count: int(m.accountCount),
      environment_count: int(m.environmentCount),
      stack_count: int(m.stackCount),
      max_stacks: int(m.maxStacks),
      member_count: int(m.memberCount),
      max_members: int(m.maxMembers),
    };
  },
});

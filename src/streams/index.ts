// The stream registry: every stream the tap has, parents before their children, in the order
// streams are synced. Stream names are derived from it.
import type { Stream } from '../core/stream.js';
import { agentPools } from './agent-pools.js';
import { auditLogs } from './audit-logs.js';
import { deployments } from './deployments.js';
import { environmentRevisions } from './environment-revisions.js';
import { environments } from './environments.js';
import { oidcIssuers } from './oidc-issuers.js';
import { orgAccessTokens } from './org-access-tokens.js';
import { orgWebhooks } from './org-webhooks.js';
import { organizationMembers } from './organization-members.js';
import { organizationTeams } from './organization-teams.js';
import { organizations } from './organizations.js';
import { policyGroups } from './policy-groups.js';
import { policyPackPolicies } from './policy-pack-policies.js';
import { policyPacks } from './policy-packs.js';
import { resourceUsageDaily } from './resource-usage-daily.js';
import { resources } from './resources.js';
import { stackDetails, stackTags } from './stack-details.js';
import { deploymentSchedules, driftRuns } from './stack-schedules.js';
import { teamAccessTokens } from './team-access-tokens.js';
import { teamEnvironmentPermissions, teamMembers, teamStackPermissions } from './team-details.js';
import { stackUpdates } from './stack-updates.js';
import { stacks } from './stacks.js';

export const STREAMS = [stacks, stackUpdates, organizationMembers, organizationTeams, environments, environmentRevisions, deployments, auditLogs, organizations, orgAccessTokens, oidcIssuers, agentPools, orgWebhooks, policyPacks, resourceUsageDaily, resources, stackDetails, stackTags, teamMembers, teamStackPermissions, teamEnvironmentPermissions, teamAccessTokens, policyGroups, policyPackPolicies, deploymentSchedules, driftRuns] as const satisfies readonly Stream[];

export type RegisteredStream = (typeof STREAMS)[number];
export type StreamName = RegisteredStream['name'];

export const STREAM_NAMES: readonly StreamName[] = STREAMS.map((stream) => stream.name);

export function streamByName(name: string): RegisteredStream | undefined {
  return STREAMS.find((stream) => stream.name === name);
}

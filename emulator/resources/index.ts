// Every emulated endpoint: the route table, and the data each resource generates per organization.
//
// To add an endpoint, write one module here with its response shapes, its OrgData (drawn from its
// own `Rng.of(org.seed, name)` stream, so no other resource's data changes) and its routes (paged
// with ../paging.ts), then list both below.
import type { OrgData } from '../data.js';
import type { Route } from '../routing.js';
import { agentPoolRoutes, agentPoolsData } from './agent-pools.js';
import { auditLogRoutes, auditLogsData } from './audit-logs.js';
import { deploymentRoutes, deploymentsData } from './deployments.js';
import { revisionRoutes, revisionsData } from './environment-revisions.js';
import { environmentRoutes, environmentsData } from './environments.js';
import { memberRoutes, membersData } from './members.js';
import { oidcIssuerRoutes, oidcIssuersData } from './oidc-issuers.js';
import { orgAccessTokenRoutes, orgAccessTokensData } from './org-access-tokens.js';
import { orgWebhookRoutes, orgWebhooksData } from './org-webhooks.js';
import { organizationMetadataData, organizationMetadataRoutes } from './organization-metadata.js';
import { policyPackRoutes, policyPacksData } from './policy-packs.js';
import { resourceSearchData, resourceSearchRoutes } from './resource-search.js';
import { resourceUsageRoutes } from './resource-usage.js';
import { policyGroupRoutes, policyGroupsData } from './policy-groups.js';
import { stackDetailRoutes } from './stack-details.js';
import { stackRoutes, stacksData } from './stacks.js';
import { teamDetailRoutes } from './team-details.js';
import { teamRoutes, teamsData } from './teams.js';
import { updateRoutes } from './updates.js';
import { userRoutes } from './user.js';

/** The first route that matches answers: list a literal segment (…/schedules) before a parameter in its place (…/:id). */
export const ROUTES: readonly Route[] = [
  ...userRoutes,
  ...stackRoutes,
  ...updateRoutes,
  ...memberRoutes,
  ...teamRoutes,
  ...environmentRoutes,
  ...revisionRoutes,
  ...deploymentRoutes,
  ...auditLogRoutes,
  ...organizationMetadataRoutes,
  ...orgAccessTokenRoutes,
  ...oidcIssuerRoutes,
  ...agentPoolRoutes,
  ...orgWebhookRoutes,
  ...policyPackRoutes,
  ...resourceUsageRoutes,
  ...resourceSearchRoutes,
  ...stackDetailRoutes,
  ...teamDetailRoutes,
  ...policyGroupRoutes,
];

/** Generated for every org when the emulator starts, before any mutation can change what it is drawn from. */
export const ORG_DATA: ReadonlyArray<OrgData<unknown>> = [membersData, stacksData, teamsData, environmentsData, revisionsData, deploymentsData, auditLogsData, organizationMetadataData, orgAccessTokensData, oidcIssuersData, agentPoolsData, orgWebhooksData, policyPacksData, resourceSearchData, policyGroupsData];

// Organization metadata: GET /api/orgs/{org}/metadata, one document per org (plan, defaults, counts
// and feature flags). Counts are taken from the other resources when the request comes, so that a
// stack added at run time is counted.
import { Rng, rfc3339, type OrgData } from '../data.js';
import { knownOrg, ok, route, type Route } from '../routing.js';
import { environmentsData } from './environments.js';
import { membersData } from './members.js';
import { stacksData } from './stacks.js';

/** Every flag of the service's `features` object: the document requires each of them. */
const FEATURE_FLAGS = [
  'agentIntegrationCatalogEnabled',
  'agentPoolRegistrationEnabled',
  'agentScheduledTasksEnabled',
  'aiAgentsEnabled',
  'aiReviewCodeAccessEnabled',
  'aleEnabled',
  'approvalsEnabled',
  'auditLogUIFilteringEnabled',
  'auditLogsEnabled',
  'bitbucketVCSEnabled',
  'bringYourOwnKeyEnabled',
  'cliIntegrationCatalogEnabled',
  'crossGuardEnabled',
  'customRoleCondition',
  'customRolesEnabled',
  'customTemplatesEnabled',
  'customVCSEnabled',
  'dashboardOnboardingUIEnabled',
  'dependencyCachingEnabled',
  'deployEnabled',
  'discoveredStacksEnabled',
  'driftDetectionEnabled',
  'environmentRevisionTagsEnabled',
  'environmentSecretRotationEnabled',
  'environmentsEnabled',
  'environmentsRestoreEnabled',
  'escEditorRevampEnabled',
  'escOnboardingAzureOAuthClientEnabled',
  'escOnboardingEnabled',
  'escOnboardingGcpOAuthClientEnabled',
  'escOnboardingV2Enabled',
  'fixDriftWithNeoEnabled',
  'getStartedOnboardEnabled',
  'ghAppDetailedDiffEnabled',
  'gitHubEnterpriseIntegrationEnabled',
  'iacCloudImportEnabled',
  'insightsAutoPolicyPacksEnabled',
  'insightsMonetizationEnabled',
  'integrationAssistantEnabled',
  'legacyDeploymentsOrgToken',
  'neoPlanModeEnabled',
  'neoReadOnlyEnabled',
  'neoServerSideApprovalsEnabled',
  'neoTaskSharingEnabled',
  'nlpSearchEnabled',
  'pangeaAccountsScanPageEnabled',
  'policyIssueManagementEnabled',
  'policyManagementV2Enabled',
  'propertySearchUIEnabled',
  'resourceExportEnabled',
  'resourceSearchEnabled',
  'restoreStacksEnabled',
  'scimEnabled',
  'selfHostedDeploymentsEnabled',
  'selfServeIDPRemoval',
  'serviceBackedConfigEnabled',
  'themingEnabled',
  'webhooksEnabled',
] as const;

type FeatureFlag = (typeof FEATURE_FLAGS)[number];

/** Flags of features the emulator has endpoints for. */
const SERVED: ReadonlySet<FeatureFlag> = new Set<FeatureFlag>([
  'auditLogsEnabled',
  'crossGuardEnabled',
  'deployEnabled',
  'driftDetectionEnabled',
  'environmentRevisionTagsEnabled',
  'environmentsEnabled',
  'policyManagementV2Enabled',
  'resourceSearchEnabled',
  'selfHostedDeploymentsEnabled',
  'webhooksEnabled',
  'agentPoolRegistrationEnabled',
]);

/** What the metadata holds besides the counts, which are taken when asked. */
export interface OrganizationMetadataModel {
  id: string;
  kind: 'github' | 'gitlab' | 'pulumi' | 'saml';
  created: string;
  product: 'team-pro' | 'enterprise' | 'business-critical';
  subscriptionStatus?: string;
  subscriptionPeriodEnd?: string;
  userRole: 'admin' | 'member';
  defaultStackPermission: 0 | 101 | 102 | 103;
  defaultEnvironmentPermission: 'none' | 'read' | 'open' | 'write' | 'admin';
  defaultAccountPermission: 0 | 1 | 2 | 3;
  membersCan: { createStacks: boolean; deleteStacks: boolean; transferStacks: boolean; createTeams: boolean; createAccounts: boolean };
  features: Record<FeatureFlag, boolean>;
  accountCount: number;
  maxStacks?: number;
  aiEnablement: string;
  neoApprovalMode: 'manual' | 'auto' | 'balanced';
  neoTaskSharingMode: 'none' | 'org';
  preferredVCS: 'none' | 'bitbucket' | 'github' | 'gitlab';
  insightsTrialUsingPolicy: boolean;
}

export const organizationMetadataData: OrgData<OrganizationMetadataModel> = {
  name: 'organization-metadata',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'organization-metadata');
    const o = model.options;
    // fromEntries over every flag of FEATURE_FLAGS: each one is set. Features the emulator serves are
    // on (a client may skip a stream whose flag is off); the others are drawn.
    const features = Object.fromEntries(FEATURE_FLAGS.map((flag) => [flag, SERVED.has(flag) || rng.chance(0.5)])) as Record<FeatureFlag, boolean>;
    // Where the emulator gates a feature per org, its flag says what the org's endpoints answer.
    features.auditLogsEnabled = !o.orgsWithoutAuditLogs.includes(org.name);
    features.environmentsEnabled = !o.orgsWithoutEnvironments.includes(org.name);
    features.deployEnabled = !o.orgsWithoutDeployments.includes(org.name);
    features.webhooksEnabled = !o.orgsWithoutWebhooks.includes(org.name);
    features.agentPoolRegistrationEnabled = !o.orgsWithoutAgentPools.includes(org.name);
    const enterprise = !o.orgsWithoutTeams.includes(org.name);
    const metadata: OrganizationMetadataModel = {
      id: rng.uuid(),
      kind: rng.pick(['github', 'gitlab', 'pulumi', 'saml'] as const),
      created: rfc3339(1_550_000_000 + rng.int(0, 50_000_000)),
      product: enterprise ? rng.pick(['enterprise', 'business-critical'] as const) : 'team-pro',
      userRole: rng.chance(0.7) ? 'admin' : 'member',
      defaultStackPermission: rng.pick([0, 101, 102, 103] as const),
      defaultEnvironmentPermission: rng.pick(['none', 'read', 'open', 'write', 'admin'] as const),
      defaultAccountPermission: rng.pick([0, 1, 2, 3] as const),
      membersCan: { createStacks: rng.chance(0.8), deleteStacks: rng.chance(0.3), transferStacks: rng.chance(0.3), createTeams: rng.chance(0.5), createAccounts: rng.chance(0.5) },
      features,
      accountCount: rng.int(0, 4),
      aiEnablement: rng.pick(['enabled', 'disabled', 'opt-in']),
      neoApprovalMode: rng.pick(['manual', 'auto', 'balanced'] as const),
      neoTaskSharingMode: rng.pick(['none', 'org'] as const),
      preferredVCS: rng.pick(['none', 'bitbucket', 'github', 'gitlab'] as const),
      insightsTrialUsingPolicy: rng.chance(0.2),
    };
    if (rng.chance(0.8)) {
      metadata.subscriptionStatus = 'active';
      metadata.subscriptionPeriodEnd = rfc3339(1_780_000_000 + rng.int(0, 30_000_000));
    }
    if (!enterprise) metadata.maxStacks = 500;
    return metadata;
  },
};

export const organizationMetadataRoutes: Route[] = [
  route('GET', '/api/orgs/:org/metadata', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    const m = org.get(organizationMetadataData);
    const environments = org.get(environmentsData);
    return ok({
      id: m.id,
      kind: m.kind,
      created: m.created,
      product: m.product,
      ...(m.subscriptionStatus !== undefined ? { subscriptionStatus: m.subscriptionStatus } : {}),
      ...(m.subscriptionPeriodEnd !== undefined ? { subscriptionPeriodEnd: m.subscriptionPeriodEnd } : {}),
      userRole: m.userRole,
      defaultStackPermission: m.defaultStackPermission,
      defaultEnvironmentPermission: m.defaultEnvironmentPermission,
      defaultAccountPermission: m.defaultAccountPermission,
      membersCanCreateStacks: m.membersCan.createStacks,
      membersCanDeleteStacks: m.membersCan.deleteStacks,
      membersCanTransferStacks: m.membersCan.transferStacks,
      membersCanCreateTeams: m.membersCan.createTeams,
      membersCanCreateAccounts: m.membersCan.createAccounts,
      neoEnabled: m.features.aiAgentsEnabled,
      neoApprovalMode: m.neoApprovalMode,
      neoTaskSharingMode: m.neoTaskSharingMode,
      insightsTrialUsingPolicy: m.insightsTrialUsingPolicy,
      aiEnablement: m.aiEnablement,
      preferredVCS: m.preferredVCS,
      // Deprecated copies of two flags, still sent (and required by the document).
      auditLogsEnabled: m.features.auditLogsEnabled,
      webhooksEnabled: m.features.webhooksEnabled,
      features: m.features,
      accountCount: m.accountCount,
      environmentCount: environments.available ? environments.list.length : 0,
      stackCount: org.get(stacksData).list.length,
      ...(m.maxStacks !== undefined ? { maxStacks: m.maxStacks } : {}),
      memberCount: org.get(membersData).length,
    });
  }),
];

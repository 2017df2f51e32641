// The emulator's options and their defaults.
import type { BeforeRouteHook, Route } from './routing.js';

export const DEFAULT_TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';

export interface EmulatorOptions {
  /** Accepted token. */
  token?: string;
  /** Org names, or a count → 'org-1'..'org-N'. */
  orgs?: string[] | number;
  stacksPerOrg?: number;
  /** Maximum updates per stack; stacks get varying counts from 0 up to this. */
  updatesPerStack?: number;
  membersPerOrg?: number;
  teamsPerOrg?: number;
  seed?: number;
  /** Delay added before every response. */
  latencyMs?: number;
  /** These orgs answer 403 on /teams (a plan without teams). */
  orgsWithoutTeams?: string[];
  /** ESC environments per org, default 4. */
  environmentsPerOrg?: number;
  /** Maximum revisions per environment, default 12; environments get varying counts from 0 up to this. */
  revisionsPerEnvironment?: number;
  /** These orgs answer 403 on the ESC endpoints (ESC not enabled). */
  orgsWithoutEnvironments?: string[];
  /** Deployments per org, default 15, over the org's existing stacks. */
  deploymentsPerOrg?: number;
  /** These orgs list no deployments (Pulumi Deployments not used): an empty list, as the service. */
  orgsWithoutDeployments?: string[];
  /** Audit log events per org, default 60. */
  auditEventsPerOrg?: number;
  /** These orgs answer 403 on the audit logs (a plan without them). */
  orgsWithoutAuditLogs?: string[];
  /** Events per audit log page (the endpoint has no page size parameter), default 25. */
  auditLogPageSize?: number;
  /** These orgs answer 403 on /tokens (organization tokens are an Enterprise and Business Critical feature). */
  orgsWithoutAccessTokens?: string[];
  /** These orgs answer 403 on /agent-pools (not entitled to self-hosted agents, or not an admin). */
  orgsWithoutAgentPools?: string[];
  /** These orgs answer 403 on /hooks (webhooks need the Team plan or above). */
  orgsWithoutWebhooks?: string[];
  /** These orgs answer 403 on /resources/summary (the token may not read usage). */
  orgsWithoutUsage?: string[];
  /** These orgs answer 204 No Content on /resources/summary: no usage data, as the service documents. */
  orgsWithoutUsageData?: string[];
  /** Resources Insights discovered in cloud accounts per org (no project or stack), default 5; besides each stack's own. */
  discoveredResourcesPerOrg?: number;
  /** Share of stacks whose newest update is still running, default 0.1 (one per org always is). */
  runningShare?: number;
  stacksDefaultPageSize?: number;
  stacksMaxPageSize?: number;
  updatesMaxPageSize?: number;
  membersPageSize?: number;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Runs before authentication and routing for every request; see BeforeRouteHook. */
  beforeRoute?: BeforeRouteHook;
  /** Keep only the newest requests in `requests` (a long-running standalone emulator); default: all. */
  requestLogLimit?: number;
  /** The route table; default ROUTES (emulator/resources/index.ts), every emulated endpoint. */
  routes?: readonly Route[];
}

export type ResolvedEmulatorOptions = Required<Omit<EmulatorOptions, 'orgs' | 'beforeRoute' | 'requestLogLimit' | 'routes'>> & {
  orgs: string[];
  requestLogLimit: number | undefined;
};

export function resolveOptions(options: EmulatorOptions): ResolvedEmulatorOptions {
  const count = (name: string, value: number | undefined, fallback: number, min = 0): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
    return v;
  };
  const orgsOption = options.orgs ?? 2;
  const orgs =
    typeof orgsOption === 'number'
      ? Array.from({ length: count('orgs', orgsOption, 2) }, (_, i) => `org-${i + 1}`)
      : [...orgsOption];
  if (orgs.some((o) => o === '') || new Set(orgs).size !== orgs.length) throw new RangeError('org names must be unique and non-empty');
  return {
    token: options.token ?? DEFAULT_TOKEN,
    orgs,
    stacksPerOrg: count('stacksPerOrg', options.stacksPerOrg, 12),
    updatesPerStack: count('updatesPerStack', options.updatesPerStack, 15),
    membersPerOrg: count('membersPerOrg', options.membersPerOrg, 7),
    teamsPerOrg: count('teamsPerOrg', options.teamsPerOrg, 3),
    seed: count('seed', options.seed, 1),
    latencyMs: count('latencyMs', options.latencyMs, 0),
    orgsWithoutTeams: [...(options.orgsWithoutTeams ?? [])],
    environmentsPerOrg: count('environmentsPerOrg', options.environmentsPerOrg, 4),
    revisionsPerEnvironment: count('revisionsPerEnvironment', options.revisionsPerEnvironment, 12),
    orgsWithoutEnvironments: [...(options.orgsWithoutEnvironments ?? [])],
    deploymentsPerOrg: count('deploymentsPerOrg', options.deploymentsPerOrg, 15),
    orgsWithoutDeployments: [...(options.orgsWithoutDeployments ?? [])],
    auditEventsPerOrg: count('auditEventsPerOrg', options.auditEventsPerOrg, 60),
    orgsWithoutAuditLogs: [...(options.orgsWithoutAuditLogs ?? [])],
    auditLogPageSize: count('auditLogPageSize', options.auditLogPageSize, 25, 1),
    orgsWithoutAccessTokens: [...(options.orgsWithoutAccessTokens ?? [])],
    orgsWithoutAgentPools: [...(options.orgsWithoutAgentPools ?? [])],
    orgsWithoutWebhooks: [...(options.orgsWithoutWebhooks ?? [])],
    orgsWithoutUsage: [...(options.orgsWithoutUsage ?? [])],
    orgsWithoutUsageData: [...(options.orgsWithoutUsageData ?? [])],
    discoveredResourcesPerOrg: count('discoveredResourcesPerOrg', options.discoveredResourcesPerOrg, 5),
    runningShare: options.runningShare ?? 0.1,
    stacksDefaultPageSize: count('stacksDefaultPageSize', options.stacksDefaultPageSize, 50, 1),
    stacksMaxPageSize: count('stacksMaxPageSize', options.stacksMaxPageSize, 500, 1),
    updatesMaxPageSize: count('updatesMaxPageSize', options.updatesMaxPageSize, 100, 1),
    membersPageSize: count('membersPageSize', options.membersPageSize, 5, 1),
    port: count('port', options.port, 0),
    requestLogLimit: options.requestLogLimit === undefined ? undefined : count('requestLogLimit', options.requestLogLimit, 0, 1),
  };
}

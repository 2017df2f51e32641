// Expectations computed from the emulator's own model, and record checks shared by the CLI tests.
import assert from 'node:assert/strict';
import { RESOURCE_SEARCH_PAGE_LIMIT } from '../../emulator/resources/resource-search.js';
import type { PulumiEmulator } from '../../emulator/server.js';
import { streamValidators } from '../../src/generated/record-validators.js';
import { SchemaRegistry } from '../../src/streams/schemas.js';
import type { StreamName } from '../../src/streams/index.js';
import { streamByName, STREAMS } from '../../src/streams/index.js';

/** The streams a run without a catalog syncs (and catalog.json holds): every stream selected by default. */
export const DEFAULT_STREAMS: string[] = STREAMS.filter((stream) => stream.selectedByDefault).map((stream) => stream.name);

// A type, not an interface: Object.entries sees its values as numbers.
export type Expected = {
  stacks: number;
  stack_updates: number;
  organization_members: number;
  organization_teams: number;
  environments: number;
  environment_revisions: number;
  deployments: number;
  organizations: number;
  org_access_tokens: number;
  oidc_issuers: number;
  agent_pools: number;
  org_webhooks: number;
  policy_packs: number;
  policy_pack_policies: number;
  resource_usage_daily: number;
  resources: number;
  stack_details: number;
  stack_tags: number;
  team_members: number;
  team_stack_permissions: number;
  team_environment_permissions: number;
  team_access_tokens: number;
  policy_groups: number;
};

/** How many records of each default stream the emulator holds for these organizations. */
export function expectedCounts(emulator: PulumiEmulator, orgs = emulator.orgNames()): Expected {
  const expected: Expected = {
    stacks: 0,
    stack_updates: 0,
    organization_members: 0,
    organization_teams: 0,
    environments: 0,
    environment_revisions: 0,
    deployments: 0,
    organizations: 0,
    org_access_tokens: 0,
    oidc_issuers: 0,
    agent_pools: 0,
    org_webhooks: 0,
    policy_packs: 0,
    policy_pack_policies: 0,
    resource_usage_daily: 0,
    resources: 0,
    stack_details: 0,
    stack_tags: 0,
    team_members: 0,
    team_stack_permissions: 0,
    team_environment_permissions: 0,
    team_access_tokens: 0,
    policy_groups: 0,
  };
  const { options } = emulator;
  for (const org of orgs) {
    const list = emulator.stacks(org);
    expected.stacks += list.length;
    for (const s of list) {
      expected.stack_updates += emulator.updates(org, s.projectName, s.stackName).length;
      expected.stack_details++;
      const tags = emulator.stackDetail(org, s.projectName, s.stackName).tags;
      expected.stack_tags += typeof tags === 'object' && tags !== null ? Object.keys(tags).length : 0;
    }
    expected.organization_members += emulator.members(org).length;
    if (!options.orgsWithoutTeams.includes(org)) {
      for (const team of emulator.teams(org)) {
        expected.organization_teams++;
        const detail = emulator.teamDetail(org, team.name);
        expected.team_members += detail.members?.length ?? 0;
        expected.team_stack_permissions += detail.stacks?.length ?? 0;
        expected.team_environment_permissions += detail.environments?.length ?? 0;
        expected.team_access_tokens += emulator.teamTokens(org, team.name).length;
      }
    }
    expected.policy_groups += emulator.policyGroups(org).length;
    if (!options.orgsWithoutEnvironments.includes(org)) {
      for (const environment of emulator.environments(org)) {
        expected.environments++;
        expected.environment_revisions += emulator.revisions(org, environment.project ?? 'default', environment.name).length;
      }
    }
    if (!options.orgsWithoutDeployments.includes(org)) expected.deployments += emulator.deployments(org).length;
    expected.organizations++;
    if (!options.orgsWithoutAccessTokens.includes(org)) expected.org_access_tokens += emulator.orgAccessTokens(org).length;
    expected.oidc_issuers += emulator.oidcIssuers(org).length;
    if (!options.orgsWithoutAgentPools.includes(org)) expected.agent_pools += emulator.agentPools(org).length;
    if (!options.orgsWithoutWebhooks.includes(org)) expected.org_webhooks += emulator.orgWebhooks(org).length;
    for (const pack of emulator.policyPacks(org)) {
      expected.policy_packs++;
      // Only the newest version's policies are read.
      const newest = pack.versions.length > 0 ? Math.max(...pack.versions) : undefined;
      if (newest !== undefined) expected.policy_pack_policies += emulator.policyPackVersion(org, pack.name, newest)?.policies.length ?? 0;
    }
    // A first run reads the whole last year (the days of 365 × 24 hours back from now).
    if (!options.orgsWithoutUsage.includes(org) && !options.orgsWithoutUsageData.includes(org)) expected.resource_usage_daily += emulator.usage(org, 365).length;
    // Numbered search pages stop at the first 10,000 results.
    expected.resources += Math.min(emulator.resources(org).length, RESOURCE_SEARCH_PAGE_LIMIT);
  }
  return expected;
}

/** The counts a run's records show: streams with no record do not appear. */
export function present(expected: Expected | Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(expected).filter(([, count]) => count > 0));
}

const schemas = new SchemaRegistry(streamValidators);

export function primaryKey(stream: StreamName, record: Record<string, unknown>): string {
  const def = streamByName(stream);
  assert.ok(def, `unknown stream ${stream}`);
  return JSON.stringify(def.keyProperties.map((k) => record[k]));
}

/** Every record validates against its schema, and no primary key appears twice. */
export function assertValidAndUnique(byStream: Map<string, Record<string, unknown>[]>): void {
  for (const [stream, records] of byStream) {
    const validate = schemas.validator(stream);
    const keys = new Set<string>();
    for (const record of records) {
      assert.ok(validate(record), `${stream} record does not match its schema: ${JSON.stringify(validate.errors)} in ${JSON.stringify(record)}`);
      const key = primaryKey(stream as StreamName, record);
      assert.ok(!keys.has(key), `${stream}: primary key ${key} emitted twice`);
      keys.add(key);
    }
  }
}

export function counts(byStream: Map<string, unknown[]>): Record<string, number> {
  return Object.fromEntries([...byStream].map(([stream, records]) => [stream, records.length]));
}

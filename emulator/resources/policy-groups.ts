// Policy groups: GET /api/orgs/{org}/policygroups (summaries, not paged) and
// GET /api/orgs/{org}/policygroups/{name} (the stacks and policy packs of one group).
import { Rng, type OrgData } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { stacksData } from './stacks.js';

export interface EmulatedPolicyGroup {
  name: string;
  isOrgDefault: boolean;
  entityType: 'stacks' | 'accounts';
  mode: 'audit' | 'preventative';
  stacks: Array<{ name: string; routingProject: string }>;
  appliedPolicyPacks: Array<{ name: string; displayName: string; version: number; versionTag: string; config?: Record<string, unknown> }>;
  accounts: string[];
}

const PACKS = [
  { name: 'aws-guard', displayName: 'AWSGuard' },
  { name: 'cost-controls', displayName: 'Cost controls' },
  { name: 'tagging', displayName: 'Required tags' },
];

export const policyGroupsData: OrgData<EmulatedPolicyGroup[]> = {
  name: 'policy-groups',
  generate(org) {
    const rng = Rng.of(org.seed, 'policy-groups');
    const stacks = org.get(stacksData).list.map((s) => s.summary);
    const groups: EmulatedPolicyGroup[] = [];
    for (const [i, name] of ['default-policy-group', 'production', 'sandbox'].entries()) {
      if (i > 0 && !rng.chance(0.7)) continue;
      const packs = PACKS.filter(() => rng.chance(0.6)).map((pack) => ({
        ...pack,
        version: rng.int(1, 5),
        versionTag: `v${rng.int(0, 3)}.${rng.int(0, 9)}.0`,
        ...(pack.name === 'tagging' ? { config: { 'required-tags': { tags: ['owner', 'cost-center'] }, 'allowed-regions': { regions: ['us-east-1', 'eu-west-1'] } } } : {}),
      }));
      groups.push({
        name,
        isOrgDefault: i === 0,
        entityType: 'stacks',
        mode: i === 1 ? 'preventative' : 'audit',
        stacks: stacks.filter(() => rng.chance(i === 0 ? 0.8 : 0.3)).map((s) => ({ name: s.stackName, routingProject: s.projectName })),
        appliedPolicyPacks: packs,
        accounts: [],
      });
    }
    return groups;
  },
};

export const policyGroupRoutes: Route[] = [
  route('GET', '/api/orgs/:org/policygroups', (params, _query, { model }) => {
    const groups = knownOrg(model, params.org).get(policyGroupsData);
    return ok({
      policyGroups: groups.map((g) => ({ name: g.name, isOrgDefault: g.isOrgDefault, numStacks: g.stacks.length, numAccounts: g.accounts.length, entityType: g.entityType, mode: g.mode, numEnabledPolicyPacks: g.appliedPolicyPacks.length })),
    });
  }),
  route('GET', '/api/orgs/:org/policygroups/:group', (params, _query, { model }) => {
    const group = knownOrg(model, params.org)
      .get(policyGroupsData)
      .find((g) => g.name === params.group);
    if (!group) throw new HttpError(404, `Policy group '${params.group}' not found`);
    return ok(group);
  }),
];

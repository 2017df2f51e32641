// Policy packs: GET /api/orgs/{org}/policypacks (every pack with its version numbers and tags, in
// one answer; `?policypack=NAME` lists that one only), and one version's detail with its policies,
// GET /api/orgs/{org}/policypacks/{name}/versions/{version} (404 for a pack or version that does
// not exist). A version's policies are drawn from its own stream, so they are the same on every ask.
import { Rng, type OrgData } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';

type EnforcementLevel = 'advisory' | 'mandatory' | 'remediate' | 'disabled';
type Severity = '' | 'low' | 'medium' | 'high' | 'critical';

export interface EmulatedPolicyPackSummary {
  name: string;
  displayName: string;
  /** Oldest first, as the versions were published. */
  versions: number[];
  /** The tag of each version, in the same order. */
  versionTags: string[];
}

export interface EmulatedPolicy {
  name: string;
  displayName: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  severity?: Severity;
  tags?: string[];
  remediationSteps?: string;
  url?: string;
  framework?: { name: string; version: string; reference: string; specification: string };
}

export interface EmulatedPolicyPackVersion {
  name: string;
  displayName: string;
  version: number;
  versionTag: string;
  policies: EmulatedPolicy[];
  applied: boolean;
}

export interface OrgPolicyPacks {
  packs: EmulatedPolicyPackSummary[];
  /** The newest version of these packs is applied to a policy group. */
  applied: ReadonlySet<string>;
}

const PACKS = [
  { name: 'aws-guard', displayName: 'AWS Guard' },
  { name: 'security-baseline', displayName: 'Security baseline' },
  { name: 'cost-controls', displayName: 'Cost controls' },
] as const;
const POLICIES = [
  { name: 's3-no-public-read', displayName: 'No public S3 buckets', severity: 'high' },
  { name: 'ec2-instance-no-public-ip', displayName: 'No public IPs on instances', severity: 'medium' },
  { name: 'rds-storage-encrypted', displayName: 'Encrypted databases', severity: 'critical' },
  { name: 'required-tags', displayName: 'Required tags', severity: 'low' },
  { name: 'max-instance-size', displayName: 'Instance size limit', severity: '' },
] as const;
const LEVELS: readonly EnforcementLevel[] = ['advisory', 'mandatory', 'remediate', 'disabled'];

export const policyPacksData: OrgData<OrgPolicyPacks> = {
  name: 'policy-packs',
  generate(org) {
    const rng = Rng.of(org.seed, 'policy-packs');
    const count = rng.int(1, PACKS.length);
    const packs = PACKS.slice(0, count).map((shape): EmulatedPolicyPackSummary => {
      const versionCount = rng.int(1, 4);
      const versions = Array.from({ length: versionCount }, (_, i) => i + 1);
      return { name: shape.name, displayName: shape.displayName, versions, versionTags: versions.map((v) => `0.${v}.0`) };
    });
    const applied = new Set(packs.filter(() => rng.chance(0.6)).map((p) => p.name));
    return { packs, applied };
  },
};

/** One published version with its policies; undefined when the pack or the version does not exist. */
export function policyPackVersion(orgSeed: number, data: OrgPolicyPacks, name: string, version: number): EmulatedPolicyPackVersion | undefined {
  const pack = data.packs.find((p) => p.name === name);
  const index = pack?.versions.indexOf(version) ?? -1;
  if (!pack || index < 0) return undefined;
  const rng = Rng.of(orgSeed, 'policy-packs', name, version);
  const policies = POLICIES.filter((_, i) => i < 2 + version || rng.chance(0.3)).map((shape): EmulatedPolicy => {
    const policy: EmulatedPolicy = {
      name: shape.name,
      displayName: shape.displayName,
      description: `${shape.displayName}.`,
      enforcementLevel: rng.pick(LEVELS),
      message: `${shape.displayName} is required.`,
    };
    if (rng.chance(0.8)) policy.severity = shape.severity;
    if (rng.chance(0.5)) policy.tags = ['security', 'aws'].filter(() => rng.chance(0.6));
    if (rng.chance(0.4)) policy.remediationSteps = `Change the resource so that it complies: ${shape.displayName.toLowerCase()}.`;
    if (rng.chance(0.4)) policy.url = `https://docs.example.com/policies/${shape.name}`;
    if (rng.chance(0.3)) policy.framework = { name: 'cis', version: '1.4.0', reference: `2.1.${version}`, specification: 'CIS AWS Foundations' };
    return policy;
  });
  const newest = pack.versions[pack.versions.length - 1];
  return {
    name: pack.name,
    displayName: pack.displayName,
    version,
    versionTag: pack.versionTags[index] ?? '',
    policies,
    applied: version === newest && data.applied.has(pack.name),
  };
}

export const policyPackRoutes: Route[] = [
  route('GET', '/api/orgs/:org/policypacks', (params, query, { model }) => {
    const { packs } = knownOrg(model, params.org).get(policyPacksData);
    const only = query['policypack'];
    return ok({ policyPacks: only === undefined ? packs : packs.filter((p) => p.name === only) });
  }),
  route('GET', '/api/orgs/:org/policypacks/:name/versions/:version', (params, _query, { model }) => {
    const org = knownOrg(model, params.org);
    const version = /^[1-9]\d{0,8}$/.test(params.version) ? Number(params.version) : undefined;
    const detail = version === undefined ? undefined : policyPackVersion(org.seed, org.get(policyPacksData), params.name, version);
    if (!detail) throw new HttpError(404, `Not Found: Policy Pack '${params.name}' version '${params.version}' not found`);
    return ok(detail);
  }),
];

import type { PolicyPackPolicyRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { policyPacks } from './policy-packs.js';
import { orgPath } from './context.js';
import { asObject, dataObject, keyInt, keyString, objectOf, str, strings } from './fields.js';

const framework = objectOf({ name: str, version: str, reference: str, specification: str });

/**
 * The policies of each policy pack's newest version (GET /api/orgs/ORG/policypacks/NAME/versions/N):
 * older versions are not read, one request per pack. A version still being uploaded is answered 400
 * by the service: that fails the pack's partition (with its message) rather than being skipped, since
 * it passes within minutes.
 */
export const policyPackPolicies = defineStream({
  name: 'policy_pack_policies',
  keyProperties: ['org_name', 'policy_pack_name', 'version', 'name'],
  parent: policyPacks,
  request: {
    endpoint: '/api/orgs/{org}/policypacks/{name}/versions/{version}',
    path: (c) => `${orgPath(c)}/policypacks/${encodeURIComponent(c.policy_pack_name ?? '')}/versions/${encodeURIComponent(c.version ?? '')}`,
    paging: () => ({ kind: 'none' }),
    records: 'policies',
  },
  // The pack or its version was deleted after it was listed.
  statuses: { gone: [404] },
  toRecord(raw: unknown, context: Context): PolicyPackPolicyRecord {
    const p = asObject(raw) ?? {};
    const severity = str(p.severity);
    return {
      org_name: keyString(context.org_name, 'org_name'),
      policy_pack_name: keyString(context.policy_pack_name, 'policy_pack_name'),
      version: keyInt(context.version, 'version'),
      name: keyString(p.name, 'name'),
      version_tag: context.version_tag ?? null,
      display_name: str(p.displayName),
      description: str(p.description),
      enforcement_level: str(p.enforcementLevel),
      message: str(p.message),
      severity: severity === '' ? null : severity,
      framework: framework(p.framework),
      tags: strings(p.tags),
      remediation_steps: str(p.remediationSteps),
      url: str(p.url),
      config_schema: dataObject(p.configSchema),
    };
  },
});

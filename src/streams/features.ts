import type { FeatureSource } from '../core/engine.js';
import { orgPath } from './context.js';
import { asObject } from './fields.js';

/**
 * Each organization's features (GET /api/orgs/ORG/metadata → `features`): flags such as
 * `auditLogsEnabled` that say whether a plan-gated endpoint answers the organization. The same
 * document as the `organizations` stream's, asked for once per run. A stream names the flag it
 * `requires`; a flag that is absent leaves the stream to its status policy.
 */
export const ORGANIZATION_FEATURES: FeatureSource = {
  endpoint: '/api/orgs/{org}/metadata',
  // The `organizations` stream's own path, so that the engine sees one document.
  path: (organization) => `${orgPath({ org_name: organization })}/metadata`,
  flags: (body) => asObject(asObject(body)?.features) ?? undefined,
};

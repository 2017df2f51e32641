import type { OrgWebhookRecord } from '../generated/records.js';
import { WHOLE_BODY } from '../core/paging.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, bool, keyString, str, strings } from './fields.js';

/**
 * Where a webhook delivers, without the credential its URL may hold: Slack and Microsoft Teams
 * webhook URLs are themselves credentials (anyone who has one can post), and other receivers often
 * take a token in the path or query. Only scheme, host and port are kept; null for anything that is
 * not an absolute URL.
 */
export function payloadOrigin(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Webhooks of each organization (GET /api/orgs/ORG/hooks, a bare JSON list). Only declared fields
 * are copied: never `secret` (which the API says it omits) nor `secretCiphertext` (which it sends),
 * and of the payload URL only its origin. Webhooks need the Team plan or above; the status the API
 * answers below it is not documented, so 403 and 404 both skip the organization.
 */
export const orgWebhooks = defineStream({
  name: 'org_webhooks',
  keyProperties: ['org_name', 'name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/hooks',
    path: (c) => `${orgPath(c)}/hooks`,
    paging: () => ({ kind: 'none' }),
    records: WHOLE_BODY,
  },
  requires: 'webhooksEnabled',
  statuses: { unavailable: [403, 404] },
  toRecord(raw: unknown, context: Context): OrgWebhookRecord {
    const w = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      name: keyString(w.name, 'name'),
      display_name: str(w.displayName),
      payload_origin: payloadOrigin(w.payloadUrl),
      active: bool(w.active),
      format: str(w.format),
      filters: strings(w.filters),
      groups: strings(w.groups),
      has_secret: bool(w.hasSecret),
    };
  },
});

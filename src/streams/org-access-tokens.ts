import type { OrgAccessTokenRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, bool, int, isoTime, keyString, str } from './fields.js';

/** A Unix time where the API's 0 means "never": null, so that a destination does not read 1970. */
export function unixOrNever(value: unknown): number | null {
  const seconds = int(value);
  return seconds === 0 ? null : seconds;
}

/** A token's role, field by field: nothing else of a token object is copied. */
export function tokenRole(value: unknown): { id: string | null; name: string | null; default_identifier: string | null } | null {
  const r = asObject(value);
  return r && { id: str(r.id), name: str(r.name), default_identifier: str(r.defaultIdentifier) };
}

/** A token's metadata, field by field: nothing else of a token object (its value, should a server send it) is copied. */
export function accessTokenFields(raw: unknown): Pick<OrgAccessTokenRecord, 'id' | 'name' | 'description' | 'created' | 'last_used' | 'expires' | 'admin' | 'created_by' | 'role'> {
  const t = asObject(raw) ?? {};
  return {
    id: keyString(t.id, 'id'),
    name: str(t.name),
    description: str(t.description),
    created: isoTime(t.created),
    last_used: unixOrNever(t.lastUsed),
    expires: unixOrNever(t.expires),
    admin: bool(t.admin),
    created_by: str(t.createdBy),
    role: tokenRole(t.role),
  };
}

/**
 * Organization access tokens of each organization (GET /api/orgs/ORG/tokens): metadata only. The
 * API never sends a token's value after it was created; should a server send one, it is not copied,
 * since only the declared fields are. Enterprise and Business Critical plans, organization admins.
 */
export const orgAccessTokens = defineStream({
  name: 'org_access_tokens',
  keyProperties: ['org_name', 'id'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/tokens',
    path: (c) => `${orgPath(c)}/tokens`,
    // Expired tokens too. The API's OpenAPI document names a `filter` parameter without saying its
    // values; its REST documentation names `show_expired=true`, which is what is sent. A service that
    // ignores it lists unexpired tokens only.
    query: () => ({ show_expired: 'true' }),
    paging: () => ({ kind: 'none' }),
    records: 'tokens',
  },
  // Below Enterprise, or for a caller who is not an admin, the service refuses (which of the two
  // statuses it uses is not documented).
  statuses: { unavailable: [403, 404] },
  toRecord(raw: unknown, context: Context): OrgAccessTokenRecord {
    return { org_name: keyString(context.org_name, 'org_name'), ...accessTokenFields(raw) };
  },
});

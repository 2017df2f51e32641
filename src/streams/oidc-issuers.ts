import type { OidcIssuerRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, int, isoTime, keyString, str, strings } from './fields.js';

type JwksKey = { key_id: string | null; key_type: string | null; algorithm: string | null; use: string | null };

/**
 * The keys of a registered JSON Web Key Set, without their material. Which names the service uses is
 * not known: a JWKS names them `kid`, `kty`, `alg` and `use` (RFC 7517), while the API's OpenAPI
 * document describes Go's field names (`KeyID`, `Algorithm`, `Use`, and the material in `Key`); both
 * are read. The material (public keys, certificate chains; a symmetric `oct` key would be a secret)
 * is of no use to analysis and is never copied.
 */
export function jwksKeys(value: unknown): JwksKey[] | null {
  const keys = asObject(value)?.keys;
  if (!Array.isArray(keys)) return null;
  return keys.flatMap((raw) => {
    const k = asObject(raw);
    if (!k) return [];
    const kty = str(k.kty) ?? str(asObject(k.Key)?.kty);
    return [{ key_id: str(k.kid) ?? str(k.KeyID), key_type: kty, algorithm: str(k.alg) ?? str(k.Algorithm), use: str(k.use) ?? str(k.Use) }];
  });
}

/** OIDC issuers registered with each organization (GET /api/orgs/ORG/oidc/issuers), in one answer. */
export const oidcIssuers = defineStream({
  name: 'oidc_issuers',
  keyProperties: ['org_name', 'id'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/oidc/issuers',
    path: (c) => `${orgPath(c)}/oidc/issuers`,
    paging: () => ({ kind: 'none' }),
    records: 'oidcIssuers',
  },
  toRecord(raw: unknown, context: Context): OidcIssuerRecord {
    const i = asObject(raw) ?? {};
    return {
      org_name: keyString(context.org_name, 'org_name'),
      id: keyString(i.id, 'id'),
      name: str(i.name),
      url: str(i.url),
      issuer: str(i.issuer),
      thumbprints: strings(i.thumbprints),
      jwks_keys: jwksKeys(i.jwks),
      max_expiration: int(i.maxExpiration),
      created: isoTime(i.created),
      modified: isoTime(i.modified),
      last_used: isoTime(i.lastUsed),
    };
  },
});

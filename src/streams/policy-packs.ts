import type { PolicyPackRecord } from '../generated/records.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, int, isExactInteger, keyString, str, strings } from './fields.js';

/** Version numbers as sent; items that are not exact integers are dropped. */
function versionNumbers(value: unknown): number[] | null {
  return Array.isArray(value) ? value.map(int).filter(isExactInteger) : null;
}

/** The newest version and its tag: the highest number, and the tag at its place in `versionTags` (which runs parallel to `versions`). */
export function latestVersion(versions: unknown, tags: unknown): { version: number | null; tag: string | null } {
  if (!Array.isArray(versions)) return { version: null, tag: null };
  let newest: { version: number; index: number } | undefined;
  versions.forEach((raw, index) => {
    const version = int(raw);
    if (version !== null && (newest === undefined || version > newest.version)) newest = { version, index };
  });
  if (!newest) return { version: null, tag: null };
  const tag: unknown = Array.isArray(tags) && tags.length === versions.length ? tags[newest.index] : undefined;
  return { version: newest.version, tag: str(tag) };
}

/**
 * Policy packs of each organization with their published versions (GET /api/orgs/ORG/policypacks,
 * one answer). Each pack's newest version is its child partition: policy_pack_policies reads that
 * version's policies (`version`, and `version_tag` when the pack has one). A pack that lists no
 * version has no child partition.
 */
export const policyPacks = defineStream({
  name: 'policy_packs',
  keyProperties: ['org_name', 'name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/policypacks',
    path: (c) => `${orgPath(c)}/policypacks`,
    paging: () => ({ kind: 'none' }),
    records: 'policyPacks',
  },
  // A pack that lists no version has no policies to read.
  childContext: (pack) =>
    pack.latest_version === null
      ? undefined
      : {
          org_name: pack.org_name,
          policy_pack_name: pack.name,
          version: String(pack.latest_version),
          ...(pack.latest_version_tag === null ? {} : { version_tag: pack.latest_version_tag }),
        },
  toRecord(raw: unknown, context: Context): PolicyPackRecord {
    const p = asObject(raw) ?? {};
    const latest = latestVersion(p.versions, p.versionTags);
    return {
      org_name: keyString(context.org_name, 'org_name'),
      name: keyString(p.name, 'name'),
      display_name: str(p.displayName),
      versions: versionNumbers(p.versions),
      version_tags: strings(p.versionTags),
      latest_version: latest.version,
      latest_version_tag: latest.tag,
    };
  },
});

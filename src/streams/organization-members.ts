import type { OrganizationMemberRecord } from '../generated/records.js';
import { asObject, bool, keyString, links, objectOf, str, userInfo } from './fields.js';
import { defineStream, type Context } from '../core/stream.js';
import { orgPath, organizationContext } from './context.js';

const fgaRole = objectOf({ id: str, name: str, modified_at: str });

/** Members of each organization (GET /api/orgs/ORG/members?type=backend). */
export const organizationMembers = defineStream({
  name: 'organization_members',
  keyProperties: ['org_name', 'user_name'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/members',
    path: (c) => `${orgPath(c)}/members`,
    query: () => ({ type: 'backend' }),
    paging: () => ({ kind: 'cursor' }),
    records: 'members',
  },
  toRecord(raw: unknown, context: Context): OrganizationMemberRecord {
    const m = asObject(raw) ?? {};
    // user.name is a display name; the login is what is unique in the organization.
    const login = asObject(m.user)?.githubLogin;
    return {
      org_name: keyString(context.org_name, 'org_name'),
      user_name: keyString(login, 'user_name (user.githubLogin)'),
      role: str(m.role),
      user: userInfo(m.user),
      created: str(m.created),
      known_to_pulumi: bool(m.knownToPulumi),
      virtual_admin: bool(m.virtualAdmin),
      fga_role: fgaRole(m.fgaRole),
      links: links(m.links),
    };
  },
});

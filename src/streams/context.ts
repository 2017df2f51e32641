import type { Context } from '../core/stream.js';
import { keyString } from './fields.js';

/** A root stream's partition: one organization. */
export function organizationContext(organization: string): Context {
  return { org_name: organization };
}

/** The API path of a partition's organization (`/api/orgs/ORG`), its name one exact segment. */
export function orgPath(context: Context): string {
  return `/api/orgs/${encodeURIComponent(context.org_name ?? '')}`;
}

/** The API path of the team a partition hangs off (`/api/orgs/ORG/teams/TEAM`). */
export function teamPath(context: Context): string {
  return `${orgPath(context)}/teams/${encodeURIComponent(context.team_name ?? '')}`;
}

/** The team key properties of a record read per team, from its partition. */
export function teamKeys(context: Context): { org_name: string; team_name: string } {
  return { org_name: keyString(context.org_name, 'org_name'), team_name: keyString(context.team_name, 'team_name') };
}

/** The API path of the stack a partition hangs off (`/api/stacks/ORG/PROJECT/STACK`), each name one exact segment. */
export function stackPath(context: Context): string {
  return `/api/stacks/${encodeURIComponent(context.org_name ?? '')}/${encodeURIComponent(context.project_name ?? '')}/${encodeURIComponent(context.stack_name ?? '')}`;
}

/** The stack key properties of a record read per stack, from its partition. */
export function stackKeys(context: Context): { org_name: string; project_name: string; stack_name: string } {
  return {
    org_name: keyString(context.org_name, 'org_name'),
    project_name: keyString(context.project_name, 'project_name'),
    stack_name: keyString(context.stack_name, 'stack_name'),
  };
}

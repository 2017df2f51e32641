import type { Context } from '../core/stream.js';
import { keyString } from './fields.js';

/** A root stream's partition: one organization. */
export function organizationContext(organization: string): Context {
  return { org_name: organization };
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

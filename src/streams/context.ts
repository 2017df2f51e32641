import type { Context } from '../core/stream.js';

/** A root stream's partition: one organization. */
export function organizationContext(organization: string): Context {
  return { org_name: organization };
}

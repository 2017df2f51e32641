// The stream registry: every stream the tap has, parents before their children, in the order
// streams are synced. Stream names are derived from it.
import type { Stream } from '../core/stream.js';
import { auditLogs } from './audit-logs.js';
import { deployments } from './deployments.js';
import { environmentRevisions } from './environment-revisions.js';
import { environments } from './environments.js';
import { organizationMembers } from './organization-members.js';
import { organizationTeams } from './organization-teams.js';
import { stackUpdates } from './stack-updates.js';
import { stacks } from './stacks.js';

export const STREAMS = [stacks, stackUpdates, organizationMembers, organizationTeams, environments, environmentRevisions, deployments, auditLogs] as const satisfies readonly Stream[];

export type RegisteredStream = (typeof STREAMS)[number];
export type StreamName = RegisteredStream['name'];

export const STREAM_NAMES: readonly StreamName[] = STREAMS.map((stream) => stream.name);

export function streamByName(name: string): RegisteredStream | undefined {
  return STREAMS.find((stream) => stream.name === name);
}

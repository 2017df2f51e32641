// The stream registry, in the order streams are synced.
import { organizationMembers } from './organization-members.js';
import { organizationTeams } from './organization-teams.js';
import { stackUpdates } from './stack-updates.js';
import { stacks } from './stacks.js';
import type { AnyRecord, StreamDefinition, StreamName } from './types.js';

export const STREAMS: readonly StreamDefinition<AnyRecord>[] = [
  stacks as unknown as StreamDefinition<AnyRecord>,
  stackUpdates as unknown as StreamDefinition<AnyRecord>,
  organizationMembers as unknown as StreamDefinition<AnyRecord>,
  organizationTeams as unknown as StreamDefinition<AnyRecord>,
];

export function streamByName(name: string): StreamDefinition<AnyRecord> | undefined {
  return STREAMS.find((s) => s.name === name);
}

export function childrenOf(name: StreamName): StreamDefinition<AnyRecord>[] {
  return STREAMS.filter((s) => s.parent === name);
}

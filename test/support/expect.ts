// Expectations computed from the emulator's own model, and record checks shared by the CLI tests.
import assert from 'node:assert/strict';
import type { PulumiEmulator } from '../../emulator/server.js';
import { SchemaRegistry } from '../../src/streams/schemas.js';
import type { StreamName } from '../../src/streams/index.js';
import { streamByName } from '../../src/streams/index.js';

export interface Expected {
  stacks: number;
  stack_updates: number;
  organization_members: number;
  organization_teams: number;
}

export function expectedCounts(emulator: PulumiEmulator, orgs = emulator.orgNames()): Expected {
  let stacks = 0;
  let updates = 0;
  let members = 0;
  let teams = 0;
  for (const org of orgs) {
    const list = emulator.stacks(org);
    stacks += list.length;
    for (const s of list) updates += emulator.updates(org, s.projectName, s.stackName).length;
    members += emulator.members(org).length;
    if (!emulator.options.orgsWithoutTeams.includes(org)) teams += emulator.teams(org).length;
  }
  return { stacks, stack_updates: updates, organization_members: members, organization_teams: teams };
}

const schemas = new SchemaRegistry();

export function primaryKey(stream: StreamName, record: Record<string, unknown>): string {
  const def = streamByName(stream);
  assert.ok(def, `unknown stream ${stream}`);
  return JSON.stringify(def.keyProperties.map((k) => record[k]));
}

/** Every record validates against its schema, and no primary key appears twice. */
export function assertValidAndUnique(byStream: Map<string, Record<string, unknown>[]>): void {
  for (const [stream, records] of byStream) {
    const validate = schemas.validator(stream);
    const keys = new Set<string>();
    for (const record of records) {
      assert.ok(validate(record), `${stream} record does not match its schema: ${JSON.stringify(validate.errors)} in ${JSON.stringify(record)}`);
      const key = primaryKey(stream as StreamName, record);
      assert.ok(!keys.has(key), `${stream}: primary key ${key} emitted twice`);
      keys.add(key);
    }
  }
}

export function counts(byStream: Map<string, unknown[]>): Record<string, number> {
  return Object.fromEntries([...byStream].map(([stream, records]) => [stream, records.length]));
}

// Expectations computed from the emulator's own model, and record checks shared by the CLI tests.
import assert from 'node:assert/strict';
import type { PulumiEmulator } from '../../emulator/server.js';
import { SchemaRegistry } from '../../src/streams/schemas.js';
import type { StreamName } from '../../src/streams/index.js';
import { streamByName, STREAMS } from '../../src/streams/index.js';

/** The streams a run without a catalog syncs (and catalog.json holds): every stream selected by default. */
export const DEFAULT_STREAMS: string[] = STREAMS.filter((stream) => stream.selectedByDefault).map((stream) => stream.name);

// A type, not an interface: Object.entries sees its values as numbers.
export type Expected = {
  stacks: number;
  stack_updates: number;
  organization_members: number;
  organization_teams: number;
  environments: number;
  environment_revisions: number;
  deployments: number;
};

/** How many records of each default stream the emulator holds for these organizations. */
export function expectedCounts(emulator: PulumiEmulator, orgs = emulator.orgNames()): Expected {
  const expected: Expected = { stacks: 0, stack_updates: 0, organization_members: 0, organization_teams: 0, environments: 0, environment_revisions: 0, deployments: 0 };
  const { options } = emulator;
  for (const org of orgs) {
    const list = emulator.stacks(org);
    expected.stacks += list.length;
    for (const s of list) expected.stack_updates += emulator.updates(org, s.projectName, s.stackName).length;
    expected.organization_members += emulator.members(org).length;
    if (!options.orgsWithoutTeams.includes(org)) expected.organization_teams += emulator.teams(org).length;
    if (!options.orgsWithoutEnvironments.includes(org)) {
      for (const environment of emulator.environments(org)) {
        expected.environments++;
        expected.environment_revisions += emulator.revisions(org, environment.project ?? 'default', environment.name).length;
      }
    }
    if (!options.orgsWithoutDeployments.includes(org)) expected.deployments += emulator.deployments(org).length;
  }
  return expected;
}

/** The counts a run's records show: streams with no record do not appear. */
export function present(expected: Expected | Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(expected).filter(([, count]) => count > 0));
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

// Writes integration_tests/abnormal_state.json for Airbyte's acceptance tests (CAT): a state whose
// every bookmark lies far in the future, for the emulator's default data (`npx tsx
// emulator/cli.ts --port 8787`, which integration_tests/sample_config.json points at). Every
// stack's history gets its own partition, and never-updated stacks are marked as already emitted, as
// a real state written in the future would hold them. test/acceptance.test.ts fails when it is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PulumiEmulator } from '../emulator/server.js';

export const abnormalStatePath = fileURLToPath(new URL('../integration_tests/abnormal_state.json', import.meta.url));

/** 2100-01-01T00:00:00Z: far beyond any record, and an integer like the cursors it stands for. */
export const FUTURE = 4102444800;

export async function renderAbnormalState(): Promise<string> {
  const emulator = await PulumiEmulator.start();
  try {
    const stacks = emulator.orgNames().map((org) => ({
      partition: { org_name: org },
      cursor: { last_update: FUTURE },
      null_cursor_keys: emulator
        .stacks(org)
        .filter((s) => s.lastUpdate === undefined)
        .map((s) => [s.projectName, s.stackName]),
    }));
    const updates = emulator.orgNames().flatMap((org) =>
      emulator.stacks(org).map((s) => ({ partition: { org_name: org, project_name: s.projectName, stack_name: s.stackName }, cursor: { start_time: FUTURE } })),
    );
    const message = (name: string, states: unknown[], cursor: string) => ({
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: { states, state: { [cursor]: FUTURE } } },
    });
    return JSON.stringify([message('stacks', stacks, 'last_update'), message('stack_updates', updates, 'start_time')], null, 2) + '\n';
  } finally {
    await emulator.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(abnormalStatePath, await renderAbnormalState());
  process.stdout.write(`wrote ${abnormalStatePath}\n`);
}

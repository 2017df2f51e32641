// The rules of Airbyte's Connector Acceptance Tests (CAT) that this repository can check without
// CAT itself (a Python program that cannot be installed here), run against the emulator with the
// files CAT would use: acceptance-test-config.yml and integration_tests/.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { abnormalStatePath, renderAbnormalState } from '../scripts/acceptance-files.js';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { parseLines } from './support/protocol.js';

type Message = {
  type: string;
  record?: { stream: string; data: Record<string, unknown> };
  state?: { type: string; stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> }; sourceStats?: { recordCount: number } };
  catalog?: { streams: { name: string; json_schema: unknown; default_cursor_field?: string[] }[] };
  connectionStatus?: { status: string };
};

async function repoJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(join(REPO_ROOT, path), 'utf8')) as T;
}

/** Every value of an `additionalProperties` keyword, at any depth. */
function additionalProperties(schema: unknown, path = ''): [string, unknown][] {
  if (typeof schema !== 'object' || schema === null) return [];
  return Object.entries(schema).flatMap(([key, value]) => [...(key === 'additionalProperties' ? [[`${path}/${key}`, value] as [string, unknown]] : []), ...additionalProperties(value, `${path}/${key}`)]);
}

/** The last STATE of each stream, as CAT rebuilds the input of its second read. */
function lastStates(messages: Message[]): Message['state'][] {
  const byStream = new Map<string, Message['state']>();
  for (const m of messages) if (m.type === 'STATE' && m.state) byStream.set(m.state.stream.stream_descriptor.name, m.state);
  return [...byStream.values()];
}

void describe('Airbyte acceptance test rules', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  const catalogPath = join(REPO_ROOT, 'integration_tests/configured_catalog.json');

  before(async () => {
    // The data integration_tests/ was written for: the emulator's defaults.
    emulator = await PulumiEmulator.start();
    dir = await tempDir();
    const sample = await repoJson<Record<string, unknown>>('integration_tests/sample_config.json');
    config = await writeJson(dir, 'config.json', { ...sample, base_url: emulator.url });
  });
  after(() => emulator.close());

  void it('the CAT config names files that exist, the image that metadata.yaml names, and the tests CAT runs', async () => {
    const cat = parseYaml(await readFile(join(REPO_ROOT, 'acceptance-test-config.yml'), 'utf8')) as { connector_image: string; acceptance_tests: Record<string, { tests: Record<string, unknown>[] }> };
    const metadata = parseYaml(await readFile(join(REPO_ROOT, 'metadata.yaml'), 'utf8')) as { data: { dockerRepository: string } };
    assert.equal(cat.connector_image.split(':')[0], metadata.data.dockerRepository);
    assert.deepEqual(Object.keys(cat.acceptance_tests).sort(), ['basic_read', 'connection', 'discovery', 'full_refresh', 'incremental', 'spec']);
    const paths = Object.values(cat.acceptance_tests).flatMap((suite) =>
      suite.tests.flatMap((test) => [test.spec_path, test.config_path, test.configured_catalog_path, (test.future_state as { future_state_path?: string } | undefined)?.future_state_path]),
    );
    for (const path of paths.filter((p): p is string => typeof p === 'string')) await readFile(join(REPO_ROOT, path));
    assert.deepEqual(cat.acceptance_tests.connection?.tests.map((t) => t.status), ['succeed', 'failed']);
  });

  void it('connection: the sample config succeeds and the invalid one fails', async () => {
    const good = await runCli(['check', '--config', config]);
    assert.deepEqual((parseLines(good.stdout) as Message[]).filter((m) => m.type === 'CONNECTION_STATUS').map((m) => m.connectionStatus?.status), ['SUCCEEDED']);
    const invalid = await repoJson<Record<string, unknown>>('integration_tests/invalid_config.json');
    const bad = await runCli(['check', '--config', await writeJson(dir, 'invalid.json', { ...invalid, base_url: emulator.url })]);
    assert.deepEqual((parseLines(bad.stdout) as Message[]).filter((m) => m.type === 'CONNECTION_STATUS').map((m) => m.connectionStatus?.status), ['FAILED']);
  });

  void it('discovery: every additionalProperties in every stream schema is true, and cursors are top-level properties', async () => {
    const result = await runCli(['discover', '--config', config]);
    const catalog = (parseLines(result.stdout) as Message[]).find((m) => m.type === 'CATALOG')?.catalog;
    assert.ok(catalog);
    for (const stream of catalog.streams) {
      for (const [path, value] of additionalProperties(stream.json_schema)) assert.equal(value, true, `${stream.name}: ${path} must be true`);
      for (const cursor of stream.default_cursor_field ?? []) {
        // CAT reads a cursor as an integer or a string (and a string's format must hold).
        const property = (stream.json_schema as { properties: Record<string, { type: string[]; format?: string }> }).properties[cursor];
        assert.ok(property?.type.includes('integer') || (property?.type.includes('string') && property.format === 'date-time'), `${stream.name}: cursor ${cursor} is an integer or a date-time property`);
      }
    }
  });

  void it('basic read: at least one STATE per configured stream, each with sourceStats', async () => {
    const catalog = await repoJson<{ streams: unknown[] }>('integration_tests/configured_catalog.json');
    const result = await runCli(['read', '--config', config, '--catalog', catalogPath]);
    assert.equal(result.code, 0, result.stdout.slice(-2000));
    const states = (parseLines(result.stdout) as Message[]).filter((m) => m.type === 'STATE');
    assert.ok(states.length >= catalog.streams.length);
    assert.ok(states.every((m) => typeof m.state?.sourceStats?.recordCount === 'number'));
  });

  void it('two sequential reads: each incremental stream has its cursor at one path (state.<cursor>), and the second read differs', async () => {
    const first = await runCli(['read', '--config', config, '--catalog', catalogPath]);
    assert.equal(first.code, 0);
    const messages = parseLines(first.stdout) as Message[];
    const states = lastStates(messages);
    for (const [stream, cursor] of [
      ['stacks', 'last_update'],
      ['stack_updates', 'start_time'],
    ] as const) {
      const state = states.find((s) => s?.stream.stream_descriptor.name === stream)?.stream.stream_state as { state?: Record<string, unknown>; states?: { partition: unknown; cursor: Record<string, unknown> }[] } | undefined;
      assert.equal(typeof state?.state?.[cursor], 'number', `${stream}: stream_state.state.${cursor}`);
      assert.ok((state?.states?.length ?? 0) > 0 && state?.states?.every((p) => typeof p.cursor[cursor] === 'number'), `${stream}: stream_state.states[].cursor.${cursor}`);
      // The global value is one every partition has passed.
      const values = (state?.states ?? []).map((p) => Number(p.cursor[cursor])).filter((v) => v > 0);
      assert.equal(state?.state?.[cursor], Math.min(...values));
    }
    const input = states.map((state) => ({ type: 'STREAM', stream: state?.stream }));
    const second = await runCli(['read', '--config', config, '--catalog', catalogPath, '--state', await writeJson(dir, 'state.json', input)]);
    assert.equal(second.code, 0);
    const records = (stdout: string) => (parseLines(stdout) as Message[]).filter((m) => m.type === 'RECORD').map((m) => JSON.stringify(m.record?.data));
    assert.notDeepEqual(records(second.stdout).sort(), records(first.stdout).sort(), 'records should change between reads');
  });

  void it('a state with abnormally large values yields no records, and still a STATE', async () => {
    const result = await runCli(['read', '--config', config, '--catalog', catalogPath, '--state', abnormalStatePath]);
    assert.equal(result.code, 0, result.stdout.slice(-2000));
    const messages = parseLines(result.stdout) as Message[];
    assert.deepEqual(
      messages.filter((m) => m.type === 'RECORD' && ['stacks', 'stack_updates'].includes(m.record?.stream ?? '')).map((m) => m.record?.stream),
      [],
    );
    assert.ok(messages.some((m) => m.type === 'STATE'));
    assert.match(result.stdout, /bookmark\(s\) of stack_updates are in the future/);
  });

  void it('integration_tests/abnormal_state.json matches the emulator defaults (npx tsx scripts/acceptance-files.ts)', async () => {
    assert.equal(await readFile(abnormalStatePath, 'utf8'), await renderAbnormalState());
  });
});

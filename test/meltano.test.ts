// The tap driven the way Meltano drives it, and the Singer extras Meltano users expect: settings from
// the environment, --test, METRIC lines, JSON logs; plus Airbyte estimates.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { PulumiEmulator } from '../emulator/server.js';
import { connectionSpecification } from '../src/config/spec.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { DEFAULT_STREAMS, expectedCounts, present } from './support/expect.js';
import { checkSingerOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

interface MeltanoProject {
  plugins: { extractors: { name: string; executable: string; capabilities: string[]; settings: { name: string; kind?: string; sensitive?: boolean }[] }[] };
}
interface SingerCatalog {
  streams: { tap_stream_id: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
}

void describe('meltano', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 6, updatesPerStack: 12 });
    dir = await tempDir();
    // Meltano writes the plugin's config to a file of its own and passes it with --config.
    config = await writeJson(dir, 'tap.config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url });
  });
  after(() => emulator.close());

  void it('meltano.yml declares the tap with every setting of the spec, the token sensitive', async () => {
    const project = parse(await readFile(join(REPO_ROOT, 'meltano.yml'), 'utf8')) as MeltanoProject;
    const tap = project.plugins.extractors.find((e) => e.name === 'tap-pulumi-cloud')!;
    assert.equal(tap.executable, 'tap-pulumi-cloud');
    assert.deepEqual(tap.settings.map((s) => s.name).sort(), Object.keys(connectionSpecification.properties).sort());
    assert.equal(tap.settings.find((s) => s.name === 'token')?.sensitive, true);
    const about = await runCli(['--about', '--format', 'json']);
    const capabilities = (JSON.parse(about.stdout) as { capabilities: string[] }).capabilities;
    assert.deepEqual([...tap.capabilities].sort(), [...capabilities].sort(), 'meltano.yml declares what --about reports');
    // Each setting's kind says the spec's type: a number is a decimal, not an integer.
    const kinds: Record<string, string[]> = { integer: ['integer'], number: ['decimal'], array: ['array'], string: ['string', 'password', 'date_iso8601'] };
    for (const [name, property] of Object.entries(connectionSpecification.properties)) {
      const kind = tap.settings.find((s) => s.name === name)?.kind ?? 'string';
      assert.ok(kinds[property.type]?.includes(kind), `${name}: kind ${kind} for a ${property.type}`);
    }
  });

  void it('about, discover, then catalog + state, as `meltano run` does, twice', async () => {
    const about = await runCli(['--about', '--format', 'json']);
    assert.equal(about.code, 0);
    const discovered = await runCli(['--config', config, '--discover']);
    assert.equal(discovered.code, 0, discovered.stderr);
    const catalog = JSON.parse(discovered.stdout) as SingerCatalog;
    // Meltano's select rules (`stacks.*`, `stack_updates.*`) become `selected` on every breadcrumb.
    for (const stream of catalog.streams) {
      const chosen = stream.tap_stream_id === 'stacks' || stream.tap_stream_id === 'stack_updates';
      for (const entry of stream.metadata) entry.metadata.selected = chosen;
    }
    const catalogPath = await writeJson(dir, 'tap.properties.json', catalog);
    const statePath = await writeJson(dir, 'state.json', {});
    const first = await runCli(['--config', config, '--catalog', catalogPath, '--state', statePath]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(checkSingerOutput(first.stdout, { expectedStreams: ['stacks', 'stack_updates'] }), []);
    const expected = expectedCounts(emulator);
    const byStream = recordsByStream(first.stdout, 'singer');
    assert.deepEqual([...byStream.keys()].sort(), ['stack_updates', 'stacks']);
    assert.equal(byStream.get('stack_updates')?.length, expected.stack_updates);
    // Meltano stores the last STATE's value and hands it back next time.
    const second = await runCli(['--config', config, '--catalog', catalogPath, '--state', await writeJson(dir, 'state2.json', lastState(first.stdout, 'singer'))]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok((recordsByStream(second.stdout, 'singer').get('stack_updates')?.length ?? 0) < expected.stack_updates / 3);
  });

  void it('--config ENV reads TAP_PULUMI_CLOUD_* settings, and the token from PULUMI_ACCESS_TOKEN', async () => {
    const result = await runCli(['--config', 'ENV', '--test'], {
      env: { TAP_PULUMI_CLOUD_ORGANIZATIONS: 'acme', TAP_PULUMI_CLOUD_BASE_URL: emulator.url, TAP_PULUMI_CLOUD_PAGE_SIZE: '7', PULUMI_ACCESS_TOKEN: emulator.token },
    });
    assert.equal(result.code, 0, result.stderr);
    const records = (parseLines(result.stdout) as { type: string; record?: { org_name: string } }[]).filter((m) => m.type === 'RECORD');
    assert.ok(records.length > 0 && records.every((m) => m.record?.org_name === 'acme'));
    const json = await runCli(['--config', 'ENV', '--test'], {
      env: { TAP_PULUMI_CLOUD_ORGANIZATIONS: '["globex"]', TAP_PULUMI_CLOUD_BASE_URL: emulator.url, TAP_PULUMI_CLOUD_TOKEN: emulator.token },
    });
    assert.equal(json.code, 0, json.stderr);
    assert.ok((parseLines(json.stdout) as { record?: { org_name: string } }[]).filter((m) => m.record).every((m) => m.record?.org_name === 'globex'));
  });

  void it('--test emits one record per stream and no state; --test=schema only schemas, with no request', async () => {
    const test = await runCli(['--config', config, '--test']);
    assert.equal(test.code, 0, test.stderr);
    const messages = parseLines(test.stdout) as { type: string; stream?: string }[];
    const perStream = new Map<string, number>();
    for (const m of messages) if (m.type === 'RECORD') perStream.set(m.stream!, (perStream.get(m.stream!) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(perStream), Object.fromEntries(Object.keys(present(expectedCounts(emulator))).map((stream) => [stream, 1])));
    assert.ok(!messages.some((m) => m.type === 'STATE'));
    emulator.resetRequests();
    const schema = await runCli(['--config', config, '--test=schema']);
    assert.equal(schema.code, 0, schema.stderr);
    assert.deepEqual((parseLines(schema.stdout) as { type: string; stream: string }[]).map((m) => `${m.type} ${m.stream}`), DEFAULT_STREAMS.map((stream) => `SCHEMA ${stream}`));
    assert.equal(emulator.requests.length, 0);
  });

  void it('METRIC lines: a timer per request and a record counter per stream, as Singer tools parse them', async () => {
    emulator.resetRequests();
    const result = await runCli(['--config', config]);
    assert.equal(result.code, 0, result.stderr);
    const metrics = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('INFO METRIC: '))
      .map((l) => JSON.parse(l.slice('INFO METRIC: '.length)) as { type: string; metric: string; value: number; tags: Record<string, string | number> });
    const timers = metrics.filter((m) => m.type === 'timer' && m.metric === 'http_request_duration');
    assert.equal(timers.length, emulator.requests.length);
    assert.ok(timers.every((t) => t.tags.http_status_code === 200 && t.tags.status === 'succeeded' && typeof t.value === 'number'));
    assert.ok(timers.some((t) => t.tags.endpoint === '/api/stacks/{org}/{project}/{stack}/updates'));
    const counts: Record<string, number> = Object.fromEntries(metrics.filter((m) => m.metric === 'record_count').map((m) => [String(m.tags.stream), m.value]));
    assert.deepEqual(counts, present(expectedCounts(emulator)));
  });

  void it('LOG_FORMAT=json makes every stderr line a JSON object', async () => {
    const result = await runCli(['--config', config, '--test'], { env: { LOG_FORMAT: 'json' } });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.ok(lines.length > 3);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: string; message: string; time: string };
      assert.ok(['info', 'warn', 'error', 'debug'].includes(entry.level) && typeof entry.message === 'string' && !Number.isNaN(Date.parse(entry.time)));
    }
  });

  void it('Airbyte gets ESTIMATE traces, reaching the number of updates for stack_updates', async () => {
    const result = await runCli(['read', '--config', config, '--catalog', join(REPO_ROOT, 'catalog.json')]);
    assert.equal(result.code, 0, result.stderr);
    const estimates = (parseLines(result.stdout) as { type: string; trace?: { type: string; estimate?: { name: string; type: string; row_estimate: number } } }[])
      .filter((m) => m.trace?.type === 'ESTIMATE')
      .map((m) => m.trace!.estimate!);
    assert.ok(estimates.length > 0 && estimates.every((e) => e.type === 'STREAM'));
    assert.equal(estimates.filter((e) => e.name === 'stack_updates').at(-1)?.row_estimate, expectedCounts(emulator).stack_updates);
  });
});

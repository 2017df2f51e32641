// The Singer side of the CLI, run as Meltano or a shell pipe runs it, against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { assertValidAndUnique, counts, DEFAULT_STREAMS, expectedCounts, present } from './support/expect.js';
import { STREAM_NAMES } from '../src/streams/index.js';
import { checkSingerOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

const ALL = DEFAULT_STREAMS;

interface SingerCatalog {
  streams: { tap_stream_id: string; selected?: boolean; replication_method?: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
}

void describe('singer: about, version, help, usage', () => {
  void it('--about --format json describes the tap with its settings, the token marked secret', async () => {
    const result = await runCli(['--about', '--format', 'json']);
    assert.equal(result.code, 0);
    const about = JSON.parse(result.stdout) as { name: string; version: string; capabilities: string[]; settings: { properties: { token: Record<string, unknown> } } };
    assert.equal(about.name, 'tap-pulumi-cloud');
    assert.match(about.version, /^\d+\.\d+\.\d+/);
    for (const capability of ['catalog', 'discover', 'state', 'about']) assert.ok(about.capabilities.includes(capability), capability);
    assert.equal(about.settings.properties.token.secret, true);
    assert.equal(about.settings.properties.token.writeOnly, true);
  });

  void it('--about as markdown lists every setting', async () => {
    const result = await runCli(['--about']);
    assert.equal(result.code, 0);
    for (const setting of ['token', 'organizations', 'start_date', 'base_url', 'page_size', 'max_concurrency']) assert.match(result.stdout, new RegExp(`\`${setting}\``));
  });

  void it('--version and --help', async () => {
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^tap-pulumi-cloud \d+\.\d+\.\d+\n$/);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--config/);
  });

  for (const args of [['--bogus'], ['frobnicate'], ['--config']]) {
    void it(`unknown or incomplete arguments (${args.join(' ')}) fail with a usage message`, async () => {
      const result = await runCli(args);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /Usage|Airbyte: {2}tap-pulumi-cloud spec/);
      assert.ok(!result.stderr.includes('    at '), 'no stack trace');
    });
  }
});

void describe('singer: discover and sync', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 7, updatesPerStack: 20 });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 5 });
  });
  after(() => emulator.close());

  async function discover(): Promise<SingerCatalog> {
    const result = await runCli(['--config', config, '--discover']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as SingerCatalog;
  }

  void it('--discover prints a Singer catalog with stream and property metadata', async () => {
    const catalog = await discover();
    assert.deepEqual(catalog.streams.map((s) => s.tap_stream_id), STREAM_NAMES);
    const audit = catalog.streams.find((s) => s.tap_stream_id === 'audit_logs')!;
    assert.equal(audit.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['selected-by-default'], false);
    const updates = catalog.streams.find((s) => s.tap_stream_id === 'stack_updates')!;
    const top = updates.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    assert.deepEqual(top['table-key-properties'], ['org_name', 'project_name', 'stack_name', 'version']);
    assert.deepEqual(top['valid-replication-keys'], ['start_time']);
    assert.equal(top['selected-by-default'], true);
    const teams = catalog.streams.find((s) => s.tap_stream_id === 'organization_teams')!;
    assert.equal(teams.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['forced-replication-method'], 'FULL_TABLE');
    const version = updates.metadata.find((m) => m.breadcrumb.join('/') === 'properties/version')!.metadata;
    assert.equal(version.inclusion, 'automatic');
  });

  void it('without a catalog every stream is synced; output follows the Singer rules; the last message is STATE', async () => {
    const result = await runCli(['--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(checkSingerOutput(result.stdout, { expectedStreams: ALL }), []);
    const byStream = recordsByStream(result.stdout, 'singer');
    assert.deepEqual(counts(byStream), present(expectedCounts(emulator)));
    assertValidAndUnique(byStream);
    const schema = (parseLines(result.stdout) as Record<string, unknown>[]).find((m) => m.type === 'SCHEMA' && m.stream === 'stacks')!;
    assert.deepEqual(schema.key_properties, ['org_name', 'project_name', 'stack_name']);
    assert.deepEqual(schema.bookmark_properties, ['last_update']);
    assert.match(result.stderr, /INFO sync complete/);
  });

  void it('the discovered catalog, edited as Meltano would, selects streams, methods and properties', async () => {
    const catalog = await discover();
    for (const stream of catalog.streams) {
      const top = stream.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      if (stream.tap_stream_id === 'organization_members') top.selected = false;
      if (stream.tap_stream_id === 'stacks') {
        top['replication-method'] = 'FULL_TABLE';
        stream.metadata.find((m) => m.breadcrumb.join('/') === 'properties/links')!.metadata.selected = false;
      }
    }
    const path = await writeJson(dir, 'edited.json', catalog);
    for (const flag of ['--catalog', '--properties']) {
      const result = await runCli(['--config', config, flag, path]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(checkSingerOutput(result.stdout, { expectedStreams: ['stacks', 'stack_updates', 'organization_teams'] }), []);
      const byStream = recordsByStream(result.stdout, 'singer');
      assert.ok(!byStream.has('organization_members'));
      const stacks = byStream.get('stacks') ?? [];
      assert.ok(stacks.length > 0 && stacks.every((r) => !('links' in r)), 'deselected property left out');
      const schema = (parseLines(result.stdout) as Record<string, unknown>[]).find((m) => m.type === 'SCHEMA' && m.stream === 'stacks')!;
      assert.ok(!('links' in (schema.schema as { properties: object }).properties));
      assert.equal(schema.bookmark_properties, undefined, 'FULL_TABLE stream has no bookmark property');
    }
  });

  void it('state round trip: a second run with the last STATE emits only what changed', async () => {
    const first = await runCli(['--config', config]);
    const state = lastState(first.stdout, 'singer') as { bookmarks: Record<string, { partitions: unknown[] }> };
    assert.ok(state.bookmarks.stack_updates!.partitions.length > 0);
    assert.deepEqual(Object.keys(state.bookmarks).sort(), ['deployments', 'environment_revisions', 'resource_usage_daily', 'stack_updates', 'stacks']);
    const statePath = await writeJson(dir, 'state.json', state);
    const second = await runCli(['--config', config, '--state', statePath]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(checkSingerOutput(second.stdout, { expectedStreams: ALL }), []);
    const byStream = recordsByStream(second.stdout, 'singer');
    const expected = expectedCounts(emulator);
    assert.ok((byStream.get('stack_updates')?.length ?? 0) < expected.stack_updates / 4, 'far fewer updates than a full sync');
    assert.equal(byStream.get('organization_members')?.length, expected.organization_members);
  });

  void it('--config may repeat, later files win; the token may come from PULUMI_ACCESS_TOKEN', async () => {
    const base = await writeJson(dir, 'base.json', { organizations: ['nonexistent'], base_url: emulator.url });
    const override = await writeJson(dir, 'override.json', { organizations: ['acme'] });
    const catalog = await discover();
    for (const s of catalog.streams) s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata.selected = s.tap_stream_id === 'organization_members';
    const catalogPath = await writeJson(dir, 'members.json', catalog);
    const result = await runCli(['--config', base, '--config', override, '--catalog', catalogPath], { env: { PULUMI_ACCESS_TOKEN: emulator.token } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recordsByStream(result.stdout, 'singer').get('organization_members')?.length, emulator.members('acme').length);
  });

  void it('start_date leaves out stacks and updates older than it on a first sync, but never a never-updated stack', async () => {
    const startDate = '2024-03-01T00:00:00Z';
    const since = Date.parse(startDate) / 1000;
    const dated = await writeJson(dir, 'dated.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, start_date: startDate });
    const result = await runCli(['--config', dated]);
    assert.equal(result.code, 0, result.stderr);
    const byStream = recordsByStream(result.stdout, 'singer');
    const updates = byStream.get('stack_updates') ?? [];
    assert.ok(updates.length > 0 && updates.every((u) => typeof u.start_time === 'number' && u.start_time >= since));
    let expectedUpdates = 0;
    for (const s of emulator.stacks('acme')) expectedUpdates += emulator.updates('acme', s.projectName, s.stackName).filter((u) => u.info.startTime >= since).length;
    assert.equal(updates.length, expectedUpdates);
    const stacks = byStream.get('stacks') ?? [];
    const expectedStacks = emulator.stacks('acme').filter((s) => s.lastUpdate === undefined || s.lastUpdate >= since);
    assert.equal(stacks.length, expectedStacks.length);
    assert.ok(stacks.some((s) => s.last_update === null));
  });

  void it('a bad input is one line on stderr and exit 1, without a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--config', `${dir}/missing.json`], /cannot read config file '.*missing\.json': no such file/],
      [['--config', config, '--catalog', await writeJson(dir, 'unknown.json', { streams: [{ tap_stream_id: 'pets', schema: {}, metadata: [] }] })], /unknown stream 'pets'/],
      [['--config', config, '--state', await writeJson(dir, 'badstate.json', { bookmarks: [] })], /state '.*badstate\.json'\.bookmarks: expected an object/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});

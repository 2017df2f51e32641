import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { airbyteCatalog, configuredAirbyteCatalog, parseCatalog, selectDefault, singerCatalog, type SelectedStream } from '../src/protocol/catalog.js';
import { ConfigError } from '../src/errors.js';
import { SchemaRegistry } from '../src/streams/schemas.js';

const schemas = new SchemaRegistry();
/**
 * The streams as the issue that asked for them lists them, in sync order (parents before children):
 * name, primary key, cursor (incremental) or none (full refresh), and whether it is selected by default.
 */
const STREAM_TABLE: ReadonlyArray<readonly [string, readonly string[], string | undefined, boolean]> = [
  ['stacks', ['org_name', 'project_name', 'stack_name'], 'last_update', true],
  ['stack_updates', ['org_name', 'project_name', 'stack_name', 'version'], 'start_time', true],
  ['organization_members', ['org_name', 'user_name'], undefined, true],
  ['organization_teams', ['org_name', 'name'], undefined, true],
  ['environments', ['org_name', 'project', 'name'], undefined, true],
  ['environment_revisions', ['org_name', 'project', 'environment', 'number'], 'number', true],
  ['deployments', ['org_name', 'id'], 'created', true],
  ['audit_logs', ['org_name', 'event_id'], 'timestamp', false],
  ['organizations', ['org_name'], undefined, true],
  ['org_access_tokens', ['org_name', 'id'], undefined, true],
  ['oidc_issuers', ['org_name', 'id'], undefined, true],
  ['agent_pools', ['org_name', 'id'], undefined, true],
  ['org_webhooks', ['org_name', 'name'], undefined, true],
  ['policy_packs', ['org_name', 'name'], undefined, true],
  ['resource_usage_daily', ['org_name', 'year', 'month', 'day'], 'date', true],
  ['resources', ['org_name', 'project', 'stack', 'urn'], undefined, true],
  ['stack_details', ['org_name', 'project_name', 'stack_name'], undefined, true],
  ['stack_tags', ['org_name', 'project_name', 'stack_name', 'name'], undefined, true],
  ['team_members', ['org_name', 'team_name', 'user_name'], undefined, true],
  ['team_stack_permissions', ['org_name', 'team_name', 'project_name', 'stack_name'], undefined, true],
  ['team_environment_permissions', ['org_name', 'team_name', 'project_name', 'environment_name'], undefined, true],
  ['team_access_tokens', ['org_name', 'team_name', 'id'], undefined, true],
  ['policy_groups', ['org_name', 'name'], undefined, true],
  ['policy_pack_policies', ['org_name', 'policy_pack_name', 'version', 'name'], undefined, true],
  ['deployment_schedules', ['org_name', 'project_name', 'stack_name', 'id'], undefined, false],
  ['drift_runs', ['org_name', 'project_name', 'stack_name', 'id'], undefined, false],
];

const ORDER = STREAM_TABLE.map(([name]) => name);

/** Every stream selected by default, incremental where it can be: what catalog.json and a Singer run without a catalog hold. */
const DEFAULT_SELECTION = STREAM_TABLE.filter(([, , , selected]) => selected).map(([name, , cursor]) => [name, cursor === undefined ? 'full_refresh' : 'incremental']);

interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}
interface SingerEntry {
  tap_stream_id: string;
  stream: string;
  schema: { properties: Record<string, unknown> };
  key_properties: string[];
  replication_key?: string;
  replication_method: string;
  metadata: MetadataEntry[];
  selected?: boolean;
}

function singerEntries(): SingerEntry[] {
  return (singerCatalog(schemas) as { streams: SingerEntry[] }).streams;
}

function singerEntry(name: string): SingerEntry {
  const entry = singerEntries().find((s) => s.tap_stream_id === name);
  assert.ok(entry, name);
  return entry;
}

function streamMeta(entry: SingerEntry): Record<string, unknown> {
  const meta = entry.metadata.find((m) => m.breadcrumb.length === 0);
  assert.ok(meta);
  return meta.metadata;
}

function summary(selected: SelectedStream[]): Array<[string, string]> {
  return selected.map((s) => [s.name, s.syncMode]);
}

function configured(name: string, syncMode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: syncMode, destination_sync_mode: 'append', ...extra };
}

function throwsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    return true;
  });
}

void describe('airbyteCatalog', () => {
  const streams = airbyteCatalog(schemas).streams;
  const byName = (name: string) => {
    const stream = streams.find((s) => s.name === name);
    assert.ok(stream, name);
    return stream;
  };

  void it('lists every stream in sync order', () => {
    assert.deepEqual(
      streams.map((s) => s.name),
      ORDER,
    );
  });

  void it('describes stacks as incremental on last_update', () => {
    const s = byName('stacks');
    assert.deepEqual(s.supported_sync_modes, ['full_refresh', 'incremental']);
    assert.equal(s.source_defined_cursor, true);
    assert.deepEqual(s.default_cursor_field, ['last_update']);
    assert.deepEqual(s.source_defined_primary_key, [['org_name'], ['project_name'], ['stack_name']]);
    assert.equal(s.is_resumable, true);
    assert.deepEqual(s.json_schema, schemas.schema('stacks'));
  });

  void it('describes stack_updates as incremental on start_time', () => {
    const s = byName('stack_updates');
    assert.deepEqual(s.supported_sync_modes, ['full_refresh', 'incremental']);
    assert.equal(s.source_defined_cursor, true);
    assert.deepEqual(s.default_cursor_field, ['start_time']);
    assert.deepEqual(s.source_defined_primary_key, [['org_name'], ['project_name'], ['stack_name'], ['version']]);
  });

  void it('describes members and teams as full refresh only, without a cursor', () => {
    const members = byName('organization_members');
    assert.deepEqual(members.supported_sync_modes, ['full_refresh']);
    assert.equal(members.source_defined_cursor, undefined);
    assert.equal(members.default_cursor_field, undefined);
    assert.equal('default_cursor_field' in members, false);
    assert.deepEqual(members.source_defined_primary_key, [['org_name'], ['user_name']]);
    assert.equal(members.is_resumable, false);
    const teams = byName('organization_teams');
    assert.deepEqual(teams.supported_sync_modes, ['full_refresh']);
    assert.deepEqual(teams.source_defined_primary_key, [['org_name'], ['name']]);
    assert.equal('source_defined_cursor' in teams, false);
  });

  void it('every primary key and cursor names a schema property', () => {
    for (const s of streams) {
      const properties = Object.keys(s.json_schema.properties ?? {});
      for (const [key] of s.source_defined_primary_key) assert.ok(key && properties.includes(key), `${s.name}.${key}`);
      for (const cursor of s.default_cursor_field ?? []) assert.ok(properties.includes(cursor), `${s.name}.${cursor}`);
    }
  });
});

void describe('singerCatalog', () => {
  void it('lists every stream with keys and replication', () => {
    const entries = singerEntries();
    assert.deepEqual(
      entries.map((e) => [e.tap_stream_id, e.stream, e.key_properties, e.replication_method, e.replication_key]),
      STREAM_TABLE.map(([name, keys, cursor]) => [name, name, keys, cursor === undefined ? 'FULL_TABLE' : 'INCREMENTAL', cursor]),
    );
    assert.equal('replication_key' in singerEntry('organization_members'), false);
  });

  void it('has stream-level metadata for incremental streams', () => {
    assert.deepEqual(streamMeta(singerEntry('stacks')), {
      inclusion: 'available',
      'selected-by-default': true,
      'table-key-properties': ['org_name', 'project_name', 'stack_name'],
      'valid-replication-keys': ['last_update'],
    });
    assert.deepEqual(streamMeta(singerEntry('stack_updates')), {
      inclusion: 'available',
      'selected-by-default': true,
      'table-key-properties': ['org_name', 'project_name', 'stack_name', 'version'],
      'valid-replication-keys': ['start_time'],
    });
  });

  void it('forces FULL_TABLE for members and teams', () => {
    assert.deepEqual(streamMeta(singerEntry('organization_members')), {
      inclusion: 'available',
      'selected-by-default': true,
      'table-key-properties': ['org_name', 'user_name'],
      'forced-replication-method': 'FULL_TABLE',
    });
    assert.deepEqual(streamMeta(singerEntry('organization_teams')), {
      inclusion: 'available',
      'selected-by-default': true,
      'table-key-properties': ['org_name', 'name'],
      'forced-replication-method': 'FULL_TABLE',
    });
  });

  void it('has one metadata entry per property, automatic for keys and the replication key', () => {
    for (const entry of singerEntries()) {
      const properties = Object.keys(entry.schema.properties);
      const propertyMeta = entry.metadata.filter((m) => m.breadcrumb.length > 0);
      assert.deepEqual(
        propertyMeta.map((m) => m.breadcrumb),
        properties.map((p) => ['properties', p]),
        entry.tap_stream_id,
      );
      assert.equal(entry.metadata.filter((m) => m.breadcrumb.length === 0).length, 1);
      const automatic = new Set([...entry.key_properties, ...(entry.replication_key ? [entry.replication_key] : [])]);
      for (const m of propertyMeta) {
        const property = m.breadcrumb[1] ?? '';
        assert.deepEqual(m.metadata, { inclusion: automatic.has(property) ? 'automatic' : 'available', 'selected-by-default': true }, `${entry.tap_stream_id}.${property}`);
      }
    }
    const stacksMeta = singerEntry('stacks').metadata;
    const inclusion = (p: string) => stacksMeta.find((m) => m.breadcrumb[1] === p)?.metadata.inclusion;
    assert.equal(inclusion('org_name'), 'automatic');
    assert.equal(inclusion('last_update'), 'automatic');
    assert.equal(inclusion('resource_count'), 'available');
    assert.equal(inclusion('links'), 'available');
  });

  void it('parseCatalog(singerCatalog()) selects the streams selected by default, incremental where supported', () => {
    const selected = parseCatalog(singerCatalog(schemas));
    assert.deepEqual(summary(selected), DEFAULT_SELECTION);
    assert.equal(streamMeta(singerEntry('audit_logs'))['selected-by-default'], false);
    for (const s of selected) assert.equal(s.excludedProperties.size, 0);
  });
});

void describe('parseCatalog: Airbyte configured catalog', () => {
  void it('reads sync modes', () => {
    const selected = parseCatalog({
      streams: [configured('stacks', 'full_refresh'), configured('stack_updates', 'incremental', { cursor_field: ['start_time'] }), configured('organization_teams', 'full_refresh')],
    });
    assert.deepEqual(summary(selected), [
      ['stacks', 'full_refresh'],
      ['stack_updates', 'incremental'],
      ['organization_teams', 'full_refresh'],
    ]);
    for (const s of selected) assert.equal(s.excludedProperties.size, 0);
  });

  void it('accepts an incremental stream with no or an empty cursor_field', () => {
    assert.deepEqual(summary(parseCatalog({ streams: [configured('stacks', 'incremental'), configured('stack_updates', 'incremental', { cursor_field: [] })] })), [
      ['stacks', 'incremental'],
      ['stack_updates', 'incremental'],
    ]);
  });

  void it('normalises the order to the registry order (parents before children)', () => {
    const selected = parseCatalog({
      streams: [
        configured('organization_teams', 'full_refresh'),
        configured('stack_updates', 'incremental'),
        configured('organization_members', 'full_refresh'),
        configured('stacks', 'incremental'),
      ],
    });
    assert.deepEqual(
      selected.map((s) => s.name),
      ['stacks', 'stack_updates', 'organization_members', 'organization_teams'],
    );
  });

  void it('rejects an unknown stream, naming it', () => {
    throwsConfig(
      () => parseCatalog({ streams: [configured('stacks', 'full_refresh'), configured('pets', 'full_refresh')] }),
      'catalog.streams[1].stream.name',
      "unknown stream 'pets'",
      'known: stacks, stack_updates, organization_members, organization_teams, environments, environment_revisions, deployments, audit_logs',
    );
  });

  void it('rejects incremental on a full-refresh-only stream', () => {
    throwsConfig(() => parseCatalog({ streams: [configured('organization_members', 'incremental')] }), 'catalog.streams[0].sync_mode', "stream 'organization_members' supports only full_refresh");
    throwsConfig(() => parseCatalog({ streams: [configured('organization_teams', 'incremental')] }), "'organization_teams' supports only full_refresh");
  });

  void it('rejects an unknown sync mode', () => {
    throwsConfig(() => parseCatalog({ streams: [configured('stacks', 'append')] }), "catalog.streams[0].sync_mode: expected 'full_refresh' or 'incremental', got \"append\"");
  });

  void it('rejects a cursor field other than the source-defined one', () => {
    throwsConfig(() => parseCatalog({ streams: [configured('stacks', 'incremental', { cursor_field: ['id'] })] }), 'catalog.streams[0].cursor_field', "source-defined cursor 'last_update'");
  });

  void it('rejects a stream listed twice', () => {
    throwsConfig(() => parseCatalog({ streams: [configured('stacks', 'incremental'), configured('stacks', 'full_refresh')] }), "catalog.streams[1]: stream 'stacks' appears twice");
  });

  void it('rejects a catalog without a streams array', () => {
    throwsConfig(() => parseCatalog({}), "catalog: expected an object with a 'streams' array");
    throwsConfig(() => parseCatalog(null, 'catalog file'), "catalog file: expected an object with a 'streams' array");
    throwsConfig(() => parseCatalog({ streams: [5] }), 'catalog.streams[0]: expected an object');
  });

  void it('accepts an empty streams array as nothing selected', () => {
    assert.deepEqual(parseCatalog({ streams: [] }), []);
  });

  void it('parses configuredAirbyteCatalog() into the streams selected by default', () => {
    assert.deepEqual(summary(parseCatalog(configuredAirbyteCatalog(schemas))), DEFAULT_SELECTION);
  });
});

void describe('parseCatalog: Singer catalog', () => {
  function withStreamMeta(name: string, meta: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
    const entry = singerEntry(name);
    const metadata = entry.metadata.map((m) => (m.breadcrumb.length === 0 ? { breadcrumb: [], metadata: { ...m.metadata, ...meta } } : m));
    return { ...entry, ...top, metadata };
  }

  void it('selects via metadata selected', () => {
    const selected = parseCatalog({
      streams: [withStreamMeta('stacks', { selected: true }), withStreamMeta('organization_members', { selected: false })],
    });
    assert.deepEqual(summary(selected), [['stacks', 'incremental']]);
  });

  void it('selects via a top-level selected flag', () => {
    const stripped = (name: string, top: Record<string, unknown>) => withStreamMeta(name, { 'selected-by-default': undefined }, top);
    const selected = parseCatalog({ streams: [stripped('stacks', { selected: true }), stripped('stack_updates', { selected: false }), stripped('organization_teams', {})] });
    assert.deepEqual(summary(selected), [['stacks', 'incremental']]);
  });

  void it('metadata selected wins over the top-level flag and selected-by-default', () => {
    const selected = parseCatalog({
      streams: [withStreamMeta('stacks', { selected: false }, { selected: true }), withStreamMeta('stack_updates', { selected: true, 'selected-by-default': false }, { selected: false })],
    });
    assert.deepEqual(summary(selected), [['stack_updates', 'incremental']]);
  });

  void it('selects via selected-by-default when nothing else says', () => {
    const selected = parseCatalog({
      streams: [withStreamMeta('organization_teams', { 'selected-by-default': true }), withStreamMeta('organization_members', { 'selected-by-default': false })],
    });
    assert.deepEqual(summary(selected), [['organization_teams', 'full_refresh']]);
  });

  void it('leaves out a stream with no metadata and no selection', () => {
    assert.deepEqual(parseCatalog({ streams: [{ tap_stream_id: 'stacks', schema: {} }] }), []);
  });

  void it('accepts a stream named only by `stream`', () => {
    assert.deepEqual(summary(parseCatalog({ streams: [{ stream: 'stacks', schema: {}, selected: true }] })), [['stacks', 'incremental']]);
  });

  void it('takes the replication method from metadata first', () => {
    const selected = parseCatalog({
      streams: [withStreamMeta('stacks', { selected: true, 'replication-method': 'FULL_TABLE' }, { replication_method: 'INCREMENTAL' })],
    });
    assert.deepEqual(summary(selected), [['stacks', 'full_refresh']]);
  });

  void it('takes the replication method from top-level replication_method', () => {
    const selected = parseCatalog({
      streams: [withStreamMeta('stacks', { selected: true }, { replication_method: 'FULL_TABLE' }), withStreamMeta('stack_updates', { selected: true }, { replication_method: 'INCREMENTAL' })],
    });
    assert.deepEqual(summary(selected), [
      ['stacks', 'full_refresh'],
      ['stack_updates', 'incremental'],
    ]);
  });

  void it('defaults the replication method from the stream', () => {
    const selected = parseCatalog({
      streams: [
        { tap_stream_id: 'stack_updates', metadata: [{ breadcrumb: [], metadata: { selected: true } }] },
        { tap_stream_id: 'organization_members', metadata: [{ breadcrumb: [], metadata: { selected: true } }] },
      ],
    });
    assert.deepEqual(summary(selected), [
      ['stack_updates', 'incremental'],
      ['organization_members', 'full_refresh'],
    ]);
  });

  void it('rejects INCREMENTAL on a full-table stream and unknown methods', () => {
    throwsConfig(
      () => parseCatalog({ streams: [{ tap_stream_id: 'organization_teams', metadata: [{ breadcrumb: [], metadata: { selected: true, 'replication-method': 'INCREMENTAL' } }] }] }),
      'catalog.streams[0]',
      "stream 'organization_teams' supports only FULL_TABLE replication",
    );
    throwsConfig(
      () => parseCatalog({ streams: [{ tap_stream_id: 'stacks', metadata: [{ breadcrumb: [], metadata: { selected: true, 'replication-method': 'LOG_BASED' } }] }] }),
      'unknown replication method "LOG_BASED"',
    );
  });

  void it('rejects an unknown stream, naming it', () => {
    throwsConfig(() => parseCatalog({ streams: [{ tap_stream_id: 'policies', schema: {}, selected: true }] }), 'catalog.streams[0].tap_stream_id', "unknown stream 'policies'");
  });

  void it('excludes properties with selected: false, except key properties and the replication key', () => {
    const entry = singerEntry('stack_updates');
    const deselect = new Set(['message', 'environment', 'org_name', 'version', 'start_time', 'config']);
    const metadata = entry.metadata.map((m) => {
      if (m.breadcrumb.length === 0) return { breadcrumb: [], metadata: { ...m.metadata, selected: true } };
      const property = m.breadcrumb[1] ?? '';
      if (deselect.has(property)) return { breadcrumb: m.breadcrumb, metadata: { ...m.metadata, selected: false } };
      if (property === 'kind') return { breadcrumb: m.breadcrumb, metadata: { ...m.metadata, selected: true } };
      return m;
    });
    const [selected] = parseCatalog({ streams: [{ ...entry, metadata }] });
    assert.ok(selected);
    assert.deepEqual([...selected.excludedProperties].sort(), ['config', 'environment', 'message']);
  });

  void it('never excludes a property marked automatic', () => {
    const [selected] = parseCatalog({
      streams: [
        {
          tap_stream_id: 'stacks',
          metadata: [
            { breadcrumb: [], metadata: { selected: true } },
            { breadcrumb: ['properties', 'links'], metadata: { inclusion: 'automatic', selected: false } },
            { breadcrumb: ['properties', 'id'], metadata: { selected: false } },
            { breadcrumb: ['properties', 'resource_count'], metadata: { selected: true } },
          ],
        },
      ],
    });
    assert.ok(selected);
    assert.deepEqual([...selected.excludedProperties], ['id']);
  });
});

void describe('catalog.json and selectDefault', () => {
  void it('catalog.json at the repository root selects the streams selected by default, incremental where supported', () => {
    const catalog = JSON.parse(readFileSync(new URL('../catalog.json', import.meta.url), 'utf8')) as unknown;
    assert.deepEqual(summary(parseCatalog(catalog)), DEFAULT_SELECTION);
  });

  void it('selectDefault selects the streams selected by default, like a Singer run without a catalog', () => {
    assert.deepEqual(summary(selectDefault()), DEFAULT_SELECTION);
  });
});

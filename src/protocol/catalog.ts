// Discovery output for both protocols, and the configured catalog (Airbyte or Singer) read back
// into one protocol-neutral selection.
import { ConfigError } from '../errors.js';
import type { JsonSchema, SchemaRegistry } from '../streams/schemas.js';
import { streamByName, STREAMS } from '../streams/index.js';
import type { Stream } from '../core/stream.js';
import type { RegisteredStream, StreamName } from '../streams/index.js';

export type SyncMode = 'full_refresh' | 'incremental';

export interface SelectedStream {
  name: StreamName;
  syncMode: SyncMode;
  /** Top-level properties the catalog deselected (Singer metadata `selected: false`). */
  excludedProperties: ReadonlySet<string>;
}

export interface AirbyteCatalogStream {
  name: string;
  json_schema: JsonSchema;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key: string[][];
  is_resumable: boolean;
}

export function airbyteCatalog(schemas: SchemaRegistry): { streams: AirbyteCatalogStream[] } {
  return {
    streams: STREAMS.map((def) => {
      const stream: AirbyteCatalogStream = {
        name: def.name,
        json_schema: schemas.schema(def.name),
        supported_sync_modes: def.cursor?.field ? ['full_refresh', 'incremental'] : ['full_refresh'],
        source_defined_primary_key: def.keyProperties.map((key) => [key]),
        is_resumable: Boolean(def.cursor?.field),
      };
      if (def.cursor?.field) {
        stream.source_defined_cursor = true;
        stream.default_cursor_field = [def.cursor?.field];
      }
      return stream;
    }),
  };
}

/** A configured catalog of the streams selected by default, incremental where supported (catalog.json). */
export function configuredAirbyteCatalog(schemas: SchemaRegistry): unknown {
  const byDefault = new Set<string>(STREAMS.filter((def) => def.selectedByDefault).map((def) => def.name));
  return {
    streams: airbyteCatalog(schemas).streams.filter((stream) => byDefault.has(stream.name)).map((stream) => ({
      stream,
      sync_mode: stream.supported_sync_modes.includes('incremental') ? 'incremental' : 'full_refresh',
      destination_sync_mode: stream.supported_sync_modes.includes('incremental') ? 'append_dedup' : 'overwrite',
      ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
      primary_key: stream.source_defined_primary_key,
    })),
  };
}

interface SingerMetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

function singerMetadata(def: Stream, schema: JsonSchema): SingerMetadataEntry[] {
  const streamMetadata: Record<string, unknown> = {
    inclusion: 'available',
    'selected-by-default': def.selectedByDefault,
    'table-key-properties': [...def.keyProperties],
  };
  if (def.cursor?.field) streamMetadata['valid-replication-keys'] = [def.cursor?.field];
  else streamMetadata['forced-replication-method'] = 'FULL_TABLE';
  const automatic = new Set<string>([...def.keyProperties, ...(def.cursor?.field ? [def.cursor?.field] : [])]);
  return [
    { breadcrumb: [], metadata: streamMetadata },
    ...Object.keys(schema.properties ?? {}).map((property) => ({
      breadcrumb: ['properties', property],
      metadata: { inclusion: automatic.has(property) ? 'automatic' : 'available', 'selected-by-default': true },
    })),
  ];
}

export function singerCatalog(schemas: SchemaRegistry): unknown {
  return {
    streams: STREAMS.map((def) => {
      const schema = schemas.schema(def.name);
      return {
        tap_stream_id: def.name,
        stream: def.name,
        schema,
        key_properties: [...def.keyProperties],
        ...(def.cursor?.field ? { replication_key: def.cursor?.field, replication_method: 'INCREMENTAL' } : { replication_method: 'FULL_TABLE' }),
        metadata: singerMetadata(def, schema),
      };
    }),
  };
}

/** The streams selected by default, incremental where supported: what a Singer run without a catalog syncs. */
export function selectDefault(): SelectedStream[] {
  return STREAMS.filter((def) => def.selectedByDefault).map((def) => ({ name: def.name, syncMode: def.cursor?.field ? 'incremental' : 'full_refresh', excludedProperties: new Set() }));
}

function knownStream(name: unknown, where: string): RegisteredStream {
  if (typeof name !== 'string') throw new ConfigError(`${where}: expected a stream name`);
  const def = streamByName(name);
  if (!def) throw new ConfigError(`${where}: unknown stream '${name}' (known: ${STREAMS.map((s) => s.name).join(', ')})`);
  return def;
}

/** Reads an Airbyte configured catalog or a Singer catalog into the streams to sync. */
export function parseCatalog(input: unknown, where = 'catalog'): SelectedStream[] {
  if (typeof input !== 'object' || input === null || !Array.isArray((input as { streams?: unknown }).streams)) {
    throw new ConfigError(`${where}: expected an object with a 'streams' array`);
  }
  const entries = (input as { streams: unknown[] }).streams;
  const selected: SelectedStream[] = [];
  entries.forEach((entry, index) => {
    const at = `${where}.streams[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${at}: expected an object`);
    const e = entry as Record<string, unknown>;
    const stream = 'tap_stream_id' in e || 'metadata' in e || 'schema' in e ? parseSingerEntry(e, at) : parseAirbyteEntry(e, at);
    if (!stream) return;
    if (selected.some((s) => s.name === stream.name)) throw new ConfigError(`${at}: stream '${stream.name}' appears twice`);
    selected.push(stream);
  });
  // Parents are read before their children whatever order the catalog lists them in.
  return STREAMS.flatMap((def) => selected.filter((s) => s.name === def.name));
}

function parseAirbyteEntry(e: Record<string, unknown>, at: string): SelectedStream {
  const stream = e.stream as { name?: unknown } | undefined;
  const def = knownStream(stream?.name, `${at}.stream.name`);
  const syncMode = e.sync_mode;
  if (syncMode !== 'full_refresh' && syncMode !== 'incremental') {
    throw new ConfigError(`${at}.sync_mode: expected 'full_refresh' or 'incremental', got ${JSON.stringify(syncMode)}`);
  }
  if (syncMode === 'incremental' && !def.cursor?.field) {
    throw new ConfigError(`${at}.sync_mode: stream '${def.name}' supports only full_refresh`);
  }
  const cursor = e.cursor_field;
  if (syncMode === 'incremental' && Array.isArray(cursor) && cursor.length > 0 && (cursor.length !== 1 || cursor[0] !== def.cursor?.field)) {
    throw new ConfigError(`${at}.cursor_field: stream '${def.name}' has the source-defined cursor '${def.cursor?.field}'`);
  }
  return { name: def.name, syncMode, excludedProperties: new Set() };
}

function parseSingerEntry(e: Record<string, unknown>, at: string): SelectedStream | undefined {
  const def = knownStream(e.tap_stream_id ?? e.stream, `${at}.tap_stream_id`);
  const metadata = Array.isArray(e.metadata) ? (e.metadata as SingerMetadataEntry[]) : [];
  const streamMeta = metadata.find((m) => Array.isArray(m?.breadcrumb) && m.breadcrumb.length === 0)?.metadata ?? {};
  const selectedFlag = streamMeta.selected ?? e.selected ?? streamMeta['selected-by-default'];
  if (selectedFlag !== true) return undefined;
  const method = streamMeta['replication-method'] ?? e.replication_method ?? streamMeta['forced-replication-method'];
  let syncMode: SyncMode;
  if (method === undefined || method === null || method === '') syncMode = def.cursor?.field ? 'incremental' : 'full_refresh';
  else if (method === 'INCREMENTAL') syncMode = 'incremental';
  else if (method === 'FULL_TABLE') syncMode = 'full_refresh';
  else throw new ConfigError(`${at}: unknown replication method ${JSON.stringify(method)} (expected INCREMENTAL or FULL_TABLE)`);
  if (syncMode === 'incremental' && !def.cursor?.field) {
    throw new ConfigError(`${at}: stream '${def.name}' supports only FULL_TABLE replication`);
  }
  const replicationKey = streamMeta['replication-key'] ?? e.replication_key;
  if (syncMode === 'incremental' && replicationKey !== undefined && replicationKey !== null && replicationKey !== def.cursor?.field) {
    throw new ConfigError(`${at}: stream '${def.name}' replicates by '${String(def.cursor?.field)}', not ${JSON.stringify(replicationKey)}`);
  }
  const mandatory = new Set<string>([...def.keyProperties, ...(def.cursor?.field ? [def.cursor?.field] : [])]);
  const excludedProperties = new Set<string>();
  for (const m of metadata) {
    if (!Array.isArray(m?.breadcrumb) || m.breadcrumb.length !== 2 || m.breadcrumb[0] !== 'properties') continue;
    const property = String(m.breadcrumb[1]);
    if (m.metadata?.selected === false && m.metadata.inclusion !== 'automatic' && !mandatory.has(property)) excludedProperties.add(property);
  }
  return { name: def.name, syncMode, excludedProperties };
}

// Checks a connector's stdout against the rules Airbyte and Singer consumers enforce.
// Checkers return a list of readable violations ([] when fine) so tests can `deepEqual(violations, [])`.
import { createAjv } from '../../src/config/ajv.js';
import { airbyteMessageProblems, FAILURE_TYPES, TERMINAL_STATUSES } from './airbyte-messages.js';
import { OFFICIAL_AIRBYTE_SCHEMA, type OfficialAirbyteSchema } from './official-airbyte-schema.js';

export interface AirbyteCheckOptions {
  command: 'spec' | 'check' | 'discover' | 'read';
  configuredStreams?: string[];
  expectFailedStreams?: string[];
  /** Also check every message against this schema (undefined: against none); by default the official one when opted in. */
  officialSchema?: OfficialAirbyteSchema | undefined;
}

export interface SingerCheckOptions {
  expectedStreams?: string[];
}

/** One entry of an Airbyte per-stream state file. */
export interface AirbyteStreamStateEntry {
  type: 'STREAM';
  stream: {
    stream_descriptor: { name: string; namespace?: string };
    stream_state: Record<string, unknown>;
  };
}

type Obj = Record<string, unknown>;

const YEAR_2000_MS = Date.UTC(2000, 0, 1);
const YEAR_2100_MS = Date.UTC(2100, 0, 1);
const SINGER_TYPES = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION', 'BATCH'];

const ALLOWED_TYPES: Record<AirbyteCheckOptions['command'], string[]> = {
  spec: ['SPEC', 'LOG', 'TRACE'],
  check: ['CONNECTION_STATUS', 'LOG', 'TRACE'],
  discover: ['CATALOG', 'LOG', 'TRACE'],
  read: ['RECORD', 'STATE', 'LOG', 'TRACE'],
};
const AIRBYTE_TYPES = new Set(Object.values(ALLOWED_TYPES).flat());

function includes<T extends string>(list: readonly T[], value: string | undefined): value is T {
  return list.some((item) => item === value);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function truncate(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface Line {
  line: number;
  text: string;
}

function nonEmptyLines(stdout: string): Line[] {
  return stdout
    .split(/\r?\n/)
    .map((text, i) => ({ line: i + 1, text }))
    .filter((l) => l.text.trim() !== '');
}

/** Parses every non-empty stdout line as JSON; throws naming the first line that is not JSON. */
export function parseLines(stdout: string): unknown[] {
  return nonEmptyLines(stdout).map(({ line, text }) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`stdout line ${line} is not JSON: ${truncate(text)}`);
    }
  });
}

/** Collects violations; keyed ones are reported once with a count so one bug in a loop does not flood output. */
class Violations {
  private readonly items: { msg: string; extra: number }[] = [];
  private readonly byKey = new Map<string, { msg: string; extra: number }>();

  add(msg: string): void {
    this.items.push({ msg, extra: 0 });
  }

  once(key: string, msg: string): void {
    const seen = this.byKey.get(key);
    if (seen) {
      seen.extra += 1;
      return;
    }
    const item = { msg, extra: 0 };
    this.byKey.set(key, item);
    this.items.push(item);
  }

  list(): string[] {
    return this.items.map((i) => (i.extra > 0 ? `${i.msg} (and ${i.extra} more like it)` : i.msg));
  }
}

interface Parsed {
  line: number;
  msg: Obj;
}

/** Parses lines into objects, reporting non-JSON and non-object lines as violations. */
function parseObjects(stdout: string, v: Violations): Parsed[] {
  const out: Parsed[] = [];
  for (const { line, text } of nonEmptyLines(stdout)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      v.add(`line ${line}: not JSON: ${truncate(text)}`);
      continue;
    }
    if (!isObj(value)) {
      v.add(`line ${line}: not a JSON object: ${truncate(text)}`);
      continue;
    }
    out.push({ line, msg: value });
  }
  return out;
}

// ajv-formats' "date-time" requires a timezone, unlike "iso-date-time".
const isRfc3339DateTime = createAjv().compile({ type: 'string', format: 'date-time' });

// ---------------------------------------------------------------- Airbyte

/**
 * The project's own checks of a message's shape, then (when opted in) the official schema's: it speaks
 * only where the project's checks found nothing, so it reports exactly where the two disagree.
 */
function checkMessageShape(v: Violations, line: number, msg: Obj, official: OfficialAirbyteSchema | undefined): void {
  const problems = airbyteMessageProblems(msg);
  if (problems.length > 0) {
    v.add(`line ${line}: not a valid AirbyteMessage: ${problems.join('; ')}`);
    return;
  }
  const officialProblems = official?.problems(msg) ?? [];
  if (officialProblems.length > 0) {
    v.add(`line ${line}: passes this project's checks but not the official Airbyte protocol schema: ${officialProblems.join('; ')}`);
  }
}

/** Checks an Airbyte connector's stdout for one command; returns the violations. */
export function checkAirbyteOutput(stdout: string, options: AirbyteCheckOptions): string[] {
  const v = new Violations();
  const messages = parseObjects(stdout, v);
  const allowed = ALLOWED_TYPES[options.command];
  const official = 'officialSchema' in options ? options.officialSchema : OFFICIAL_AIRBYTE_SCHEMA;

  for (const { line, msg } of messages) {
    checkMessageShape(v, line, msg, official);
    const type = str(msg.type);
    if (type !== undefined && AIRBYTE_TYPES.has(type) && !allowed.includes(type)) {
      v.add(`line ${line}: unexpected ${type} message during ${options.command}`);
    }
  }

  const ofType = (t: string): Parsed[] => messages.filter((m) => m.msg.type === t);
  switch (options.command) {
    case 'spec':
      expectExactlyOne(v, ofType('SPEC'), 'SPEC');
      break;
    case 'check':
      expectExactlyOne(v, ofType('CONNECTION_STATUS'), 'CONNECTION_STATUS');
      break;
    case 'discover': {
      const catalogs = ofType('CATALOG');
      expectExactlyOne(v, catalogs, 'CATALOG');
      for (const { line, msg } of catalogs) checkCatalog(v, line, msg.catalog);
      break;
    }
    case 'read':
      checkRead(v, messages, options);
      break;
  }
  return v.list();
}

function expectExactlyOne(v: Violations, found: Parsed[], type: string): void {
  if (found.length !== 1) {
    const where = found.length > 0 ? ` (lines ${found.map((m) => m.line).join(', ')})` : '';
    v.add(`expected exactly one ${type} message, got ${found.length}${where}`);
  }
}

/** Whether a field path (e.g. ["updated_at"] or ["a","b"]) exists in a JSON schema's properties. */
function schemaHasPath(schema: unknown, path: string[]): boolean {
  let cur = schema;
  for (const key of path) {
    const props = get(cur, 'properties');
    if (!isObj(props) || !(key in props)) return false;
    cur = props[key];
  }
  return true;
}

function isFieldPathList(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every(isStringArray);
}

/** What the tap promises of its catalog beyond the message's shape (which checkMessageShape reports). */
function checkCatalog(v: Violations, line: number, catalog: unknown): void {
  const streams = get(catalog, 'streams');
  if (!Array.isArray(streams)) return;
  const seen = new Set<string>();
  streams.forEach((stream: unknown, i) => {
    const name = str(get(stream, 'name'));
    const label = `line ${line}: catalog stream ${name !== undefined ? `'${name}'` : `#${i}`}`;
    if (name === '') v.add(`${label} has an empty name`);
    else if (name !== undefined && seen.has(name)) v.add(`${label} is listed more than once`);
    else if (name !== undefined) seen.add(name);

    const jsonSchema = get(stream, 'json_schema');
    const modes = get(stream, 'supported_sync_modes');
    if (isStringArray(modes) && modes.includes('incremental')) {
      if (get(stream, 'source_defined_cursor') !== true) {
        v.add(`${label} supports incremental but source_defined_cursor is not true`);
      }
      const cursor = get(stream, 'default_cursor_field');
      if (!isStringArray(cursor) || cursor.length === 0) {
        v.add(`${label} supports incremental but has no non-empty default_cursor_field`);
      } else if (isObj(jsonSchema) && !schemaHasPath(jsonSchema, cursor)) {
        v.add(`${label} default_cursor_field ${JSON.stringify(cursor)} is not in its json_schema`);
      }
    }

    // Every stream of this tap has a key, so the platform can deduplicate without the user naming one.
    const pk = get(stream, 'source_defined_primary_key');
    if (pk === undefined) {
      v.add(`${label} has no source_defined_primary_key`);
    } else if (isFieldPathList(pk)) {
      for (const path of pk) {
        if (path.length === 0) v.add(`${label} source_defined_primary_key has an empty field path`);
        else if (isObj(jsonSchema) && !schemaHasPath(jsonSchema, path)) {
          v.add(`${label} primary key ${JSON.stringify(path)} is not in its json_schema`);
        }
      }
    }
  });
}

interface StreamTrack {
  started: number[];
  runningLine?: number;
  terminal?: { status: string; line: number };
  lastRecordLine?: number;
  lastStateLine?: number;
  states: number;
}

function checkRead(v: Violations, messages: Parsed[], options: AirbyteCheckOptions): void {
  const configured = options.configuredStreams ?? inferStreams(messages);
  const expectFailed = new Set(options.expectFailedStreams ?? []);
  for (const name of expectFailed) {
    if (!configured.includes(name)) v.add(`expectFailedStreams names '${name}', which is not configured`);
  }
  const tracks = new Map<string, StreamTrack>(configured.map((s) => [s, { started: [], states: 0 }]));
  const errors: { line: number; stream?: string; message: string; failureType: unknown }[] = [];

  const trackFor = (line: number, kind: string, name: string | undefined): StreamTrack | undefined => {
    if (name === undefined) return undefined;
    const t = tracks.get(name);
    if (!t)
      v.once(`unconfigured:${kind}:${name}`, `line ${line}: ${kind} for stream '${name}', which is not configured`);
    return t;
  };
  // Records and states must sit between a stream's STARTED and its terminal status.
  const checkWindow = (line: number, kind: string, name: string, t: StreamTrack): void => {
    if (t.started.length === 0)
      v.once(`prestart:${kind}:${name}`, `line ${line}: ${kind} of stream '${name}' before its STARTED status`);
    if (t.terminal) {
      v.once(
        `postterminal:${kind}:${name}`,
        `line ${line}: ${kind} of stream '${name}' after its terminal ${t.terminal.status} status (line ${t.terminal.line})`,
      );
    }
  };

  for (const { line, msg } of messages) {
    if (msg.type === 'RECORD') {
      const name = str(get(msg, 'record', 'stream'));
      const emittedAt = get(msg, 'record', 'emitted_at');
      // Non-integers are reported by checkMessageShape; this catches seconds or microseconds.
      if (
        typeof emittedAt === 'number' &&
        Number.isInteger(emittedAt) &&
        (emittedAt < YEAR_2000_MS || emittedAt >= YEAR_2100_MS)
      ) {
        v.once(
          `emitted_at:${name}`,
          `line ${line}: RECORD emitted_at ${emittedAt} is not epoch milliseconds between 2000 and 2100`,
        );
      }
      const t = trackFor(line, 'RECORD', name);
      if (!t || name === undefined) continue;
      checkWindow(line, 'RECORD', name, t);
      if (t.started.length > 0 && t.runningLine === undefined) {
        v.once(`prerunning:${name}`, `line ${line}: RECORD of stream '${name}' before its RUNNING status`);
      }
      t.lastRecordLine = line;
    } else if (msg.type === 'STATE') {
      const name = str(get(msg, 'state', 'stream', 'stream_descriptor', 'name'));
      const t = trackFor(line, 'STATE', name);
      if (!t || name === undefined) continue;
      checkWindow(line, 'STATE', name, t);
      t.states += 1;
      t.lastStateLine = line;
    } else if (msg.type === 'TRACE') {
      const trace = msg.trace;
      const traceType = get(trace, 'type');
      // A status without a stream name or with an unknown status was reported by checkMessageShape.
      if (traceType === 'STREAM_STATUS') {
        const name = str(get(trace, 'stream_status', 'stream_descriptor', 'name'));
        const status = str(get(trace, 'stream_status', 'status'));
        const t = trackFor(line, 'stream status', name);
        if (!t || name === undefined) continue;
        if (status === 'STARTED') {
          // Anything of the stream before STARTED was already reported by checkWindow.
          if (t.started.length > 0)
            v.add(`line ${line}: second STARTED status for stream '${name}' (first at line ${t.started[0]})`);
          t.started.push(line);
        } else if (status === 'RUNNING') {
          checkWindow(line, 'RUNNING status', name, t);
          t.runningLine ??= line;
        } else if (includes(TERMINAL_STATUSES, status)) {
          if (t.terminal) {
            v.add(
              `line ${line}: second terminal status ${status} for stream '${name}' (first ${t.terminal.status} at line ${t.terminal.line})`,
            );
            continue;
          }
          checkWindow(line, `${status} status`, name, t);
          t.terminal = { status, line };
        }
      } else if (traceType === 'ERROR') {
        const name = str(get(trace, 'error', 'stream_descriptor', 'name'));
        if (name !== undefined) trackFor(line, 'ERROR trace', name);
        errors.push({
          line,
          ...(name !== undefined ? { stream: name } : {}),
          message: str(get(trace, 'error', 'message')) ?? '',
          failureType: get(trace, 'error', 'failure_type'),
        });
      }
    }
  }

  for (const [name, t] of tracks) {
    if (t.started.length === 0) v.add(`stream '${name}' has no STARTED status`);
    if (!t.terminal) {
      v.add(`stream '${name}' has no terminal status (COMPLETE or INCOMPLETE)`);
    } else if (expectFailed.has(name) && t.terminal.status !== 'INCOMPLETE') {
      v.add(`line ${t.terminal.line}: stream '${name}' was expected to end INCOMPLETE but ended ${t.terminal.status}`);
    } else if (!expectFailed.has(name) && t.terminal.status !== 'COMPLETE') {
      v.add(`line ${t.terminal.line}: stream '${name}' ended ${t.terminal.status} but was expected to COMPLETE`);
    }
    if (t.terminal?.status === 'INCOMPLETE') {
      const related = errors.filter((e) => (e.stream !== undefined ? e.stream === name : e.message.includes(name)));
      if (related.length === 0) {
        v.add(`stream '${name}' ended INCOMPLETE without an ERROR trace naming it`);
      } else if (!related.some((e) => typeof e.failureType === 'string' && includes(FAILURE_TYPES, e.failureType))) {
        v.add(
          `line ${related[0]?.line}: ERROR trace for stream '${name}' needs failure_type ${FAILURE_TYPES.join('/')}, got ${JSON.stringify(related[0]?.failureType)}`,
        );
      }
    }
    if (t.states === 0) v.add(`stream '${name}' has no STATE message`);
    if (t.lastRecordLine !== undefined && t.lastStateLine !== undefined && t.lastStateLine < t.lastRecordLine) {
      v.add(
        `stream '${name}': last STATE (line ${t.lastStateLine}) comes before its last RECORD (line ${t.lastRecordLine})`,
      );
    }
  }
}

/** Streams mentioned by records, states or statuses, in order of first appearance. */
function inferStreams(messages: Parsed[]): string[] {
  const names = new Set<string>();
  for (const { msg } of messages) {
    const name =
      msg.type === 'RECORD'
        ? get(msg, 'record', 'stream')
        : msg.type === 'STATE'
          ? get(msg, 'state', 'stream', 'stream_descriptor', 'name')
          : get(msg, 'trace', 'stream_status', 'stream_descriptor', 'name');
    if (typeof name === 'string') names.add(name);
  }
  return [...names];
}

// ---------------------------------------------------------------- Singer

/** Checks a Singer tap's stdout; returns the violations. */
export function checkSingerOutput(stdout: string, options: SingerCheckOptions = {}): string[] {
  const v = new Violations();
  const messages = parseObjects(stdout, v);
  const schemas = new Map<string, { keyProperties: string[] }>();

  for (const { line, msg } of messages) {
    const type = str(msg.type);
    if (type === undefined || !SINGER_TYPES.includes(type)) {
      v.add(`line ${line}: type must be one of ${SINGER_TYPES.join('/')}, got ${JSON.stringify(msg.type)}`);
      continue;
    }
    const stream = str(msg.stream);
    if (type !== 'STATE' && (stream === undefined || stream === '')) {
      v.add(`line ${line}: ${type} has no "stream" string`);
    }
    switch (type) {
      case 'SCHEMA': {
        const schema = msg.schema;
        const props = get(schema, 'properties');
        if (!isObj(schema)) v.add(`line ${line}: SCHEMA has no "schema" object`);
        const keys = msg.key_properties;
        if (!isStringArray(keys)) {
          v.add(`line ${line}: SCHEMA key_properties must be an array of strings`);
        } else {
          for (const k of keys) {
            if (!isObj(props) || !(k in props))
              v.add(`line ${line}: SCHEMA key property '${k}' is not a schema property`);
          }
        }
        if (msg.bookmark_properties !== undefined) {
          if (!isStringArray(msg.bookmark_properties)) {
            v.add(`line ${line}: SCHEMA bookmark_properties must be an array of strings`);
          } else {
            for (const b of msg.bookmark_properties) {
              if (!isObj(props) || !(b in props))
                v.add(`line ${line}: SCHEMA bookmark property '${b}' is not a schema property`);
            }
          }
        }
        if (stream !== undefined) schemas.set(stream, { keyProperties: isStringArray(keys) ? keys : [] });
        break;
      }
      case 'RECORD': {
        const schema = stream === undefined ? undefined : schemas.get(stream);
        if (stream !== undefined && !schema)
          v.once(`noschema:${stream}`, `line ${line}: RECORD of stream '${stream}' before any SCHEMA for it`);
        const record = msg.record;
        if (!isObj(record)) {
          v.add(`line ${line}: RECORD has no "record" object`);
        } else if (schema) {
          for (const k of schema.keyProperties) {
            if (record[k] === undefined || record[k] === null) {
              v.once(`key:${stream}:${k}`, `line ${line}: RECORD of stream '${stream}' lacks key property '${k}'`);
            }
          }
        }
        if (!isRfc3339DateTime(msg.time_extracted)) {
          v.once(
            `time_extracted:${stream}`,
            `line ${line}: RECORD time_extracted must be an RFC 3339 date-time with timezone, got ${JSON.stringify(msg.time_extracted)}`,
          );
        }
        if (msg.version !== undefined && !Number.isInteger(msg.version))
          v.add(`line ${line}: RECORD version must be an integer`);
        break;
      }
      case 'STATE':
        if (!isObj(msg.value)) v.add(`line ${line}: STATE has no "value" object`);
        break;
      case 'ACTIVATE_VERSION':
        if (!Number.isInteger(msg.version)) v.add(`line ${line}: ACTIVATE_VERSION version must be an integer`);
        break;
      case 'BATCH':
        if (!isObj(msg.encoding)) v.add(`line ${line}: BATCH has no "encoding" object`);
        if (!isStringArray(msg.manifest)) v.add(`line ${line}: BATCH manifest must be an array of strings`);
        break;
    }
  }

  const last = messages[messages.length - 1];
  if (!last) v.add('no Singer messages on stdout');
  else if (last.msg.type !== 'STATE')
    v.add(`line ${last.line}: last message must be a STATE, got ${JSON.stringify(last.msg.type)}`);

  for (const name of options.expectedStreams ?? []) {
    if (!schemas.has(name)) v.add(`expected stream '${name}' has no SCHEMA message`);
  }
  return v.list();
}

// ---------------------------------------------------------------- helpers

/** Record payloads grouped by stream, in output order. Throws on non-JSON lines. */
export function recordsByStream(
  stdout: string,
  protocol: 'airbyte' | 'singer',
): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const msg of parseLines(stdout)) {
    if (get(msg, 'type') !== 'RECORD') continue;
    const stream = str(protocol === 'airbyte' ? get(msg, 'record', 'stream') : get(msg, 'stream'));
    const data = protocol === 'airbyte' ? get(msg, 'record', 'data') : get(msg, 'record');
    if (stream === undefined || !isObj(data)) continue;
    const list = out.get(stream) ?? [];
    list.push(data);
    out.set(stream, list);
  }
  return out;
}

/**
 * The last state: for Airbyte the last STREAM state of each stream (in order of first appearance),
 * shaped for a --state file; for Singer the last STATE's value.
 */
export function lastState(stdout: string, protocol: 'airbyte'): AirbyteStreamStateEntry[];
export function lastState(stdout: string, protocol: 'singer'): Record<string, unknown> | undefined;
export function lastState(
  stdout: string,
  protocol: 'airbyte' | 'singer',
): AirbyteStreamStateEntry[] | Record<string, unknown> | undefined;
export function lastState(
  stdout: string,
  protocol: 'airbyte' | 'singer',
): AirbyteStreamStateEntry[] | Record<string, unknown> | undefined {
  const messages = parseLines(stdout).filter((m) => get(m, 'type') === 'STATE');
  if (protocol === 'singer') {
    const value = get(messages[messages.length - 1], 'value');
    return isObj(value) ? value : undefined;
  }
  const byStream = new Map<string, AirbyteStreamStateEntry>();
  for (const msg of messages) {
    if (get(msg, 'state', 'type') !== 'STREAM') continue;
    const descriptor = get(msg, 'state', 'stream', 'stream_descriptor');
    const name = str(get(descriptor, 'name'));
    const streamState = get(msg, 'state', 'stream', 'stream_state');
    if (name === undefined || !isObj(streamState)) continue;
    const namespace = str(get(descriptor, 'namespace'));
    // Keyed by namespace too so same-named streams in different namespaces stay apart.
    byStream.set(JSON.stringify([namespace ?? null, name]), {
      type: 'STREAM',
      stream: {
        stream_descriptor: namespace !== undefined ? { name, namespace } : { name },
        stream_state: streamState,
      },
    });
  }
  return [...byStream.values()];
}

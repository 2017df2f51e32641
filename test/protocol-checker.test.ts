import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { airbyteMessageProblems } from './support/airbyte-messages.js';
import { REPO_ROOT, tempDir, writeJson } from './support/cli.js';
import {
  loadOfficialAirbyteSchema,
  OFFICIAL_AIRBYTE_SCHEMA,
  OFFICIAL_SCHEMA_ENV,
  officialAirbyteSchemaFrom,
} from './support/official-airbyte-schema.js';
import { checkAirbyteOutput, checkSingerOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);

type Msg = Record<string, unknown>;

const out = (...msgs: (Msg | string)[]): string =>
  msgs.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n') + '\n';

// ---- Airbyte message builders
const status = (stream: string, s: string, extra: Msg = {}): Msg => ({
  type: 'TRACE',
  trace: {
    type: 'STREAM_STATUS',
    emitted_at: NOW,
    stream_status: { stream_descriptor: { name: stream }, status: s, ...extra },
  },
});
const record = (stream: string, data: Msg, emitted_at: number = NOW): Msg => ({
  type: 'RECORD',
  record: { stream, data, emitted_at },
});
const state = (stream: string, stream_state: Msg, recordCount = 1): Msg => ({
  type: 'STATE',
  state: {
    type: 'STREAM',
    stream: { stream_descriptor: { name: stream }, stream_state },
    sourceStats: { recordCount },
  },
});
const error = (stream: string | undefined, message: string, failure_type?: string): Msg => ({
  type: 'TRACE',
  trace: {
    type: 'ERROR',
    emitted_at: NOW,
    error: {
      message,
      ...(failure_type ? { failure_type } : {}),
      ...(stream ? { stream_descriptor: { name: stream } } : {}),
    },
  },
});
const log = (message: string): Msg => ({ type: 'LOG', log: { level: 'INFO', message } });

const goodStream = (name: string): Msg[] => [
  status(name, 'STARTED'),
  status(name, 'RUNNING'),
  record(name, { id: 1 }),
  record(name, { id: 2 }),
  state(name, { cursor: 2 }, 2),
  status(name, 'COMPLETE'),
];

const catalogStream = (over: Msg = {}): Msg => ({
  name: 'stacks',
  json_schema: { type: 'object', properties: { id: { type: 'string' }, updated_at: { type: 'string' } } },
  supported_sync_modes: ['full_refresh', 'incremental'],
  source_defined_cursor: true,
  default_cursor_field: ['updated_at'],
  source_defined_primary_key: [['id']],
  ...over,
});
const catalog = (...streams: Msg[]): Msg => ({ type: 'CATALOG', catalog: { streams } });

/** Asserts exactly one violation and that it matches. */
function assertOne(violations: string[], pattern: RegExp): void {
  assert.equal(violations.length, 1, `expected one violation, got ${JSON.stringify(violations, null, 2)}`);
  assert.match(violations[0] ?? '', pattern);
}

void describe('parseLines', () => {
  void it('parses non-empty lines and skips blank ones', () => {
    assert.deepEqual(parseLines('{"a":1}\n\n[2]\n'), [{ a: 1 }, [2]]);
  });
  void it('throws naming the bad line', () => {
    assert.throws(() => parseLines('{"a":1}\nhello world\n'), /line 2 is not JSON: hello world/);
  });
});

void describe('checkAirbyteOutput: generic', () => {
  void it('reports a non-JSON line with its number', () => {
    const v = checkAirbyteOutput(out({ type: 'SPEC', spec: { connectionSpecification: {} } }, 'Starting sync...'), {
      command: 'spec',
    });
    assertOne(v, /^line 2: not JSON: Starting sync/);
  });
  void it('reports a JSON value that is not an object', () => {
    assert.ok(
      checkAirbyteOutput(out({ type: 'SPEC', spec: { connectionSpecification: {} } }, '42'), { command: 'spec' }).some(
        (s) => /line 2: not a JSON object/.test(s),
      ),
    );
  });
  void it('reports schema-invalid messages', () => {
    const v = checkAirbyteOutput(out({ type: 'SPEC', spec: { connectionSpecification: {} } }, { type: 'BOGUS' }), {
      command: 'spec',
    });
    assertOne(v, /^line 2: not a valid AirbyteMessage: \/type must be one of SPEC\/.*, got "BOGUS"$/);
  });
  void it('reports a message whose payload field is missing', () => {
    const v = checkAirbyteOutput(out({ type: 'SPEC' }), { command: 'spec' });
    assertOne(v, /^line 1: not a valid AirbyteMessage: \/spec is missing$/);
  });
  void it('reports a message type not allowed for the command', () => {
    const v = checkAirbyteOutput(out({ type: 'SPEC', spec: { connectionSpecification: {} } }, record('x', {})), {
      command: 'spec',
    });
    assertOne(v, /line 2: unexpected RECORD message during spec/);
  });
});

void describe('checkAirbyteOutput: spec / check / discover', () => {
  void it('accepts one SPEC with LOG and TRACE around it', () => {
    const v = checkAirbyteOutput(
      out(log('hi'), { type: 'SPEC', spec: { connectionSpecification: { type: 'object' } } }),
      {
        command: 'spec',
      },
    );
    assert.deepEqual(v, []);
  });
  void it('requires exactly one SPEC', () => {
    assertOne(checkAirbyteOutput(out(log('hi')), { command: 'spec' }), /exactly one SPEC message, got 0/);
    const spec = { type: 'SPEC', spec: { connectionSpecification: {} } };
    assertOne(
      checkAirbyteOutput(out(spec, spec), { command: 'spec' }),
      /exactly one SPEC message, got 2 \(lines 1, 2\)/,
    );
  });
  void it('accepts a SUCCEEDED or FAILED connection status', () => {
    for (const s of ['SUCCEEDED', 'FAILED']) {
      assert.deepEqual(
        checkAirbyteOutput(out({ type: 'CONNECTION_STATUS', connectionStatus: { status: s } }), { command: 'check' }),
        [],
      );
    }
  });
  void it('rejects a missing or invalid connection status', () => {
    assertOne(checkAirbyteOutput(out(log('x')), { command: 'check' }), /exactly one CONNECTION_STATUS/);
    const v = checkAirbyteOutput(out({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'OK' } }), {
      command: 'check',
    });
    assert.ok(
      v.some((s) => /line 1: .*\/connectionStatus\/status must be one of SUCCEEDED\/FAILED, got "OK"/.test(s)),
      v.join('\n'),
    );
  });
  void it('accepts a well-formed catalog', () => {
    const fullRefresh = catalogStream({
      name: 'members',
      supported_sync_modes: ['full_refresh'],
      source_defined_cursor: undefined,
      default_cursor_field: undefined,
      source_defined_primary_key: [],
    });
    assert.deepEqual(checkAirbyteOutput(out(catalog(catalogStream(), fullRefresh)), { command: 'discover' }), []);
  });
  void it('rejects incremental streams without a source-defined cursor', () => {
    const v = checkAirbyteOutput(out(catalog(catalogStream({ source_defined_cursor: false }))), {
      command: 'discover',
    });
    assertOne(v, /stream 'stacks' supports incremental but source_defined_cursor is not true/);
    const v2 = checkAirbyteOutput(out(catalog(catalogStream({ default_cursor_field: [] }))), { command: 'discover' });
    assertOne(v2, /no non-empty default_cursor_field/);
  });
  void it('rejects a cursor or primary key missing from the schema', () => {
    const v = checkAirbyteOutput(
      out(catalog(catalogStream({ default_cursor_field: ['nope'], source_defined_primary_key: [['gone']] }))),
      {
        command: 'discover',
      },
    );
    assert.equal(v.length, 2, v.join('\n'));
  });
  void it('rejects a missing or malformed source_defined_primary_key', () => {
    assertOne(
      checkAirbyteOutput(out(catalog(catalogStream({ source_defined_primary_key: undefined }))), {
        command: 'discover',
      }),
      /catalog stream 'stacks' has no source_defined_primary_key/,
    );
    assertOne(
      checkAirbyteOutput(out(catalog(catalogStream({ source_defined_primary_key: ['id'] }))), { command: 'discover' }),
      /\/catalog\/streams\/0\/source_defined_primary_key\/0 must be an array, got "id"/,
    );
    assertOne(
      checkAirbyteOutput(out(catalog(catalogStream({ source_defined_primary_key: [[]] }))), { command: 'discover' }),
      /catalog stream 'stacks' source_defined_primary_key has an empty field path/,
    );
  });
  void it('rejects duplicate stream names and missing catalogs', () => {
    assertOne(
      checkAirbyteOutput(out(catalog(catalogStream(), catalogStream())), { command: 'discover' }),
      /listed more than once/,
    );
    assertOne(checkAirbyteOutput(out(log('x')), { command: 'discover' }), /exactly one CATALOG/);
  });
});

void describe('checkAirbyteOutput: read', () => {
  const configured = { command: 'read' as const, configuredStreams: ['stacks', 'members'] };

  void it('accepts a good sync', () => {
    const v = checkAirbyteOutput(out(log('start'), ...goodStream('stacks'), ...goodStream('members')), configured);
    assert.deepEqual(v, []);
  });

  void it('accepts repeated RUNNING statuses with reasons and interleaved streams', () => {
    const v = checkAirbyteOutput(
      out(
        status('stacks', 'STARTED'),
        status('members', 'STARTED'),
        status('stacks', 'RUNNING'),
        record('stacks', { id: 1 }),
        status('stacks', 'RUNNING', { reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: NOW + 1000 } }] }),
        status('members', 'RUNNING'),
        record('members', { id: 1 }),
        record('stacks', { id: 2 }),
        state('stacks', { cursor: 2 }, 2),
        state('members', {}, 1),
        status('members', 'COMPLETE'),
        status('stacks', 'COMPLETE'),
      ),
      configured,
    );
    assert.deepEqual(v, []);
  });

  void it('accepts an expected failure with an ERROR trace', () => {
    const v = checkAirbyteOutput(
      out(
        ...goodStream('stacks'),
        status('members', 'STARTED'),
        state('members', {}, 0),
        error('members', 'HTTP 403 for members', 'config_error'),
        status('members', 'INCOMPLETE'),
      ),
      { ...configured, expectFailedStreams: ['members'] },
    );
    assert.deepEqual(v, []);
  });

  void it('accepts an ERROR trace that names the stream only in its message', () => {
    const v = checkAirbyteOutput(
      out(
        ...goodStream('stacks'),
        status('members', 'STARTED'),
        state('members', {}, 0),
        error(undefined, 'Stream members failed', 'system_error'),
        status('members', 'INCOMPLETE'),
      ),
      { ...configured, expectFailedStreams: ['members'] },
    );
    assert.deepEqual(v, []);
  });

  void it('catches a RECORD before STARTED', () => {
    const v = checkAirbyteOutput(
      out(
        record('stacks', { id: 1 }),
        status('stacks', 'STARTED'),
        status('stacks', 'RUNNING'),
        record('stacks', { id: 2 }),
        state('stacks', {}),
        status('stacks', 'COMPLETE'),
      ),
      { command: 'read', configuredStreams: ['stacks'] },
    );
    assertOne(v, /^line 1: RECORD of stream 'stacks' before its STARTED status/);
  });

  void it('catches a RECORD before RUNNING', () => {
    const v = checkAirbyteOutput(
      out(status('stacks', 'STARTED'), record('stacks', { id: 1 }), state('stacks', {}), status('stacks', 'COMPLETE')),
      { command: 'read', configuredStreams: ['stacks'] },
    );
    assertOne(v, /^line 2: RECORD of stream 'stacks' before its RUNNING status/);
  });

  void it('catches a second STARTED', () => {
    const v = checkAirbyteOutput(out(status('stacks', 'STARTED'), ...goodStream('stacks')), {
      command: 'read',
      configuredStreams: ['stacks'],
    });
    assertOne(v, /^line 2: second STARTED status for stream 'stacks' \(first at line 1\)/);
  });

  void it('catches a missing STARTED', () => {
    const v = checkAirbyteOutput(out(...goodStream('stacks').slice(1)), {
      command: 'read',
      configuredStreams: ['stacks'],
    });
    assert.ok(v.includes("stream 'stacks' has no STARTED status"), v.join('\n'));
  });

  void it('catches a missing terminal status', () => {
    const v = checkAirbyteOutput(out(...goodStream('stacks').slice(0, -1)), {
      command: 'read',
      configuredStreams: ['stacks'],
    });
    assertOne(v, /stream 'stacks' has no terminal status/);
  });

  void it('catches two terminal statuses', () => {
    const v = checkAirbyteOutput(out(...goodStream('stacks'), status('stacks', 'COMPLETE')), {
      command: 'read',
      configuredStreams: ['stacks'],
    });
    assertOne(v, /^line 7: second terminal status COMPLETE/);
  });

  void it('catches RECORD and STATE after the terminal status', () => {
    const v = checkAirbyteOutput(
      out(...goodStream('stacks'), record('stacks', { id: 3 }), state('stacks', { cursor: 3 })),
      {
        command: 'read',
        configuredStreams: ['stacks'],
      },
    );
    assert.deepEqual(v, [
      "line 7: RECORD of stream 'stacks' after its terminal COMPLETE status (line 6)",
      "line 8: STATE of stream 'stacks' after its terminal COMPLETE status (line 6)",
    ]);
  });

  void it('catches a stream that is INCOMPLETE unexpectedly, or COMPLETE when expected to fail', () => {
    const failing = out(
      status('stacks', 'STARTED'),
      state('stacks', {}, 0),
      error('stacks', 'boom', 'system_error'),
      status('stacks', 'INCOMPLETE'),
    );
    assertOne(
      checkAirbyteOutput(failing, { command: 'read', configuredStreams: ['stacks'] }),
      /ended INCOMPLETE but was expected to COMPLETE/,
    );
    assertOne(
      checkAirbyteOutput(out(...goodStream('stacks')), {
        command: 'read',
        configuredStreams: ['stacks'],
        expectFailedStreams: ['stacks'],
      }),
      /expected to end INCOMPLETE but ended COMPLETE/,
    );
  });

  void it('requires an ERROR trace with a failure_type for an INCOMPLETE stream', () => {
    const opts = { command: 'read' as const, configuredStreams: ['stacks'], expectFailedStreams: ['stacks'] };
    const base = [status('stacks', 'STARTED'), state('stacks', {}, 0)];
    assertOne(
      checkAirbyteOutput(out(...base, status('stacks', 'INCOMPLETE')), opts),
      /ended INCOMPLETE without an ERROR trace/,
    );
    assert.deepEqual(
      checkAirbyteOutput(out(...base, error('other', 'boom', 'system_error'), status('stacks', 'INCOMPLETE')), opts),
      [
        "line 3: ERROR trace for stream 'other', which is not configured",
        "stream 'stacks' ended INCOMPLETE without an ERROR trace naming it",
      ],
    );
    assertOne(
      checkAirbyteOutput(out(...base, error('stacks', 'boom'), status('stacks', 'INCOMPLETE')), opts),
      /line 3: ERROR trace for stream 'stacks' needs failure_type/,
    );
  });

  void it('catches a bad emitted_at', () => {
    const opts = { command: 'read' as const, configuredStreams: ['stacks'] };
    const seconds = out(
      status('stacks', 'STARTED'),
      status('stacks', 'RUNNING'),
      record('stacks', { id: 1 }, Math.floor(NOW / 1000)),
      state('stacks', {}),
      status('stacks', 'COMPLETE'),
    );
    assertOne(checkAirbyteOutput(seconds, opts), /line 3: RECORD emitted_at \d+ is not epoch milliseconds/);
    const fractional = out(
      status('stacks', 'STARTED'),
      status('stacks', 'RUNNING'),
      record('stacks', { id: 1 }, NOW + 0.5),
      state('stacks', {}),
      status('stacks', 'COMPLETE'),
    );
    assertOne(
      checkAirbyteOutput(fractional, opts),
      /line 3: not a valid AirbyteMessage: \/record\/emitted_at must be an integer/,
    );
  });

  void it('reports a repeated per-record problem once with a count', () => {
    const v = checkAirbyteOutput(
      out(
        status('stacks', 'STARTED'),
        status('stacks', 'RUNNING'),
        record('stacks', { id: 1 }, 5),
        record('stacks', { id: 2 }, 6),
        state('stacks', {}),
        status('stacks', 'COMPLETE'),
      ),
      { command: 'read', configuredStreams: ['stacks'] },
    );
    assertOne(v, /line 3: .*\(and 1 more like it\)$/);
  });

  void it('catches a RECORD of a stream that is not configured', () => {
    const v = checkAirbyteOutput(out(...goodStream('stacks'), record('teams', { id: 1 })), {
      command: 'read',
      configuredStreams: ['stacks'],
    });
    assertOne(v, /line 7: RECORD for stream 'teams', which is not configured/);
  });

  void it('catches malformed STATE messages', () => {
    const opts = { command: 'read' as const, configuredStreams: ['stacks'] };
    const legacy = { type: 'STATE', state: { type: 'LEGACY', data: { stacks: {} } } };
    const v = checkAirbyteOutput(out(...goodStream('stacks').slice(0, -1), legacy, status('stacks', 'COMPLETE')), opts);
    assertOne(v, /^line 6: not a valid AirbyteMessage: \/state\/type must be "STREAM", got "LEGACY"; \/state\/sourceStats is missing$/);
    const noStats = {
      type: 'STATE',
      state: { type: 'STREAM', stream: { stream_descriptor: { name: 'stacks' }, stream_state: {} } },
    };
    const v2 = checkAirbyteOutput(
      out(...goodStream('stacks').slice(0, -1), noStats, status('stacks', 'COMPLETE')),
      opts,
    );
    assertOne(v2, /^line 6: not a valid AirbyteMessage: \/state\/sourceStats is missing$/);
  });

  void it('catches a stream without STATE and a last STATE before the last RECORD', () => {
    const opts = { command: 'read' as const, configuredStreams: ['stacks'] };
    const noState = out(
      status('stacks', 'STARTED'),
      status('stacks', 'RUNNING'),
      record('stacks', { id: 1 }),
      status('stacks', 'COMPLETE'),
    );
    assertOne(checkAirbyteOutput(noState, opts), /stream 'stacks' has no STATE message/);
    const early = out(
      status('stacks', 'STARTED'),
      status('stacks', 'RUNNING'),
      state('stacks', {}),
      record('stacks', { id: 1 }),
      status('stacks', 'COMPLETE'),
    );
    assertOne(checkAirbyteOutput(early, opts), /last STATE \(line 3\) comes before its last RECORD \(line 4\)/);
  });

  void it('requires every configured stream to be synced', () => {
    const v = checkAirbyteOutput(out(...goodStream('stacks')), configured);
    assert.deepEqual(v, [
      "stream 'members' has no STARTED status",
      "stream 'members' has no terminal status (COMPLETE or INCOMPLETE)",
      "stream 'members' has no STATE message",
    ]);
  });

  void it('catches a STREAM_STATUS trace without a status payload', () => {
    const v = checkAirbyteOutput(
      out(...goodStream('stacks'), { type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: NOW } }),
      {
        command: 'read',
        configuredStreams: ['stacks'],
      },
    );
    assertOne(v, /^line 7: not a valid AirbyteMessage: \/trace\/stream_status is missing$/);
  });
});

void describe('checkSingerOutput', () => {
  const schema = (stream = 'stacks', over: Msg = {}): Msg => ({
    type: 'SCHEMA',
    stream,
    schema: {
      type: 'object',
      properties: { id: { type: 'string' }, updated_at: { type: 'string', format: 'date-time' } },
    },
    key_properties: ['id'],
    bookmark_properties: ['updated_at'],
    ...over,
  });
  const rec = (stream: string, record: Msg, time_extracted: unknown = '2024-06-01T12:00:00.000Z'): Msg => ({
    type: 'RECORD',
    stream,
    record,
    time_extracted,
  });
  const st = (value: unknown): Msg => ({ type: 'STATE', value });

  void it('accepts a good sync', () => {
    const v = checkSingerOutput(
      out(
        schema(),
        rec('stacks', { id: 'a' }),
        rec('stacks', { id: 'b' }, '2024-06-01T12:00:00+02:00'),
        st({ bookmarks: {} }),
        { type: 'ACTIVATE_VERSION', stream: 'stacks', version: 1 },
        st({ bookmarks: { stacks: {} } }),
      ),
      { expectedStreams: ['stacks'] },
    );
    assert.deepEqual(v, []);
  });

  void it('catches a non-JSON line and an unknown type', () => {
    const v = checkSingerOutput(out(schema(), 'INFO starting', { type: 'LOG' }, st({})));
    assert.deepEqual(v, [
      'line 2: not JSON: INFO starting',
      'line 3: type must be one of SCHEMA/RECORD/STATE/ACTIVATE_VERSION/BATCH, got "LOG"',
    ]);
  });

  void it('catches a RECORD without a SCHEMA before it', () => {
    assertOne(
      checkSingerOutput(out(rec('stacks', { id: 'a' }), schema(), st({}))),
      /^line 1: RECORD of stream 'stacks' before any SCHEMA/,
    );
  });

  void it('catches the last message not being a STATE', () => {
    assertOne(
      checkSingerOutput(out(schema(), st({}), rec('stacks', { id: 'a' }))),
      /^line 3: last message must be a STATE/,
    );
    assertOne(checkSingerOutput(''), /no Singer messages/);
  });

  void it('catches a bad time_extracted', () => {
    assertOne(
      checkSingerOutput(out(schema(), rec('stacks', { id: 'a' }, '2024-06-01T12:00:00'), st({}))),
      /line 2: RECORD time_extracted must be an RFC 3339 date-time with timezone/,
    );
    assertOne(
      checkSingerOutput(out(schema(), { type: 'RECORD', stream: 'stacks', record: { id: 'a' } }, st({}))),
      /time_extracted/,
    );
    assertOne(checkSingerOutput(out(schema(), rec('stacks', { id: 'a' }, 1717243200), st({}))), /time_extracted/);
  });

  void it('catches a record missing its key property', () => {
    assertOne(
      checkSingerOutput(out(schema(), rec('stacks', { name: 'x' }), st({}))),
      /line 2: RECORD of stream 'stacks' lacks key property 'id'/,
    );
  });

  void it('catches bad SCHEMA messages', () => {
    assertOne(
      checkSingerOutput(out(schema('stacks', { key_properties: undefined }), st({}))),
      /key_properties must be an array of strings/,
    );
    assertOne(
      checkSingerOutput(out(schema('stacks', { key_properties: ['nope'] }), st({}))),
      /key property 'nope' is not a schema property/,
    );
    assertOne(
      checkSingerOutput(out(schema('stacks', { bookmark_properties: ['nope'] }), st({}))),
      /bookmark property 'nope' is not a schema property/,
    );
    assertOne(
      checkSingerOutput(
        out(schema('stacks', { schema: 'x', key_properties: [], bookmark_properties: undefined }), st({})),
      ),
      /SCHEMA has no "schema" object/,
    );
  });

  void it('catches a STATE without an object value', () => {
    assertOne(checkSingerOutput(out(schema(), st([1]))), /line 2: STATE has no "value" object/);
  });

  void it('requires a SCHEMA for each expected stream', () => {
    assertOne(
      checkSingerOutput(out(schema(), st({})), { expectedStreams: ['stacks', 'teams'] }),
      /expected stream 'teams' has no SCHEMA/,
    );
  });
});

void describe('recordsByStream and lastState', () => {
  void it('groups Airbyte records and builds a state file from the last per-stream states', () => {
    const stdout = out(...goodStream('stacks'), ...goodStream('members'), log('x'));
    const records = recordsByStream(stdout, 'airbyte');
    assert.deepEqual([...records.keys()], ['stacks', 'members']);
    assert.deepEqual(records.get('stacks'), [{ id: 1 }, { id: 2 }]);
    const extra = out(state('stacks', { cursor: 1 }), state('members', { m: 1 }), state('stacks', { cursor: 9 }));
    assert.deepEqual(lastState(extra, 'airbyte'), [
      { type: 'STREAM', stream: { stream_descriptor: { name: 'stacks' }, stream_state: { cursor: 9 } } },
      { type: 'STREAM', stream: { stream_descriptor: { name: 'members' }, stream_state: { m: 1 } } },
    ]);
    assert.deepEqual(lastState(out(log('x')), 'airbyte'), []);
  });

  void it('groups Singer records and returns the last state value', () => {
    const stdout = out(
      { type: 'SCHEMA', stream: 's', schema: {}, key_properties: [] },
      { type: 'RECORD', stream: 's', record: { a: 1 } },
      { type: 'STATE', value: { n: 1 } },
      { type: 'STATE', value: { n: 2 } },
    );
    assert.deepEqual(recordsByStream(stdout, 'singer'), new Map([['s', [{ a: 1 }]]]));
    assert.deepEqual(lastState(stdout, 'singer'), { n: 2 });
    assert.equal(lastState('', 'singer'), undefined);
  });
});

// ---- The shape of each Airbyte message, and the official schema's view of the same samples

const trace = (type: string, payload: Msg): Msg => ({ type: 'TRACE', trace: { type, emitted_at: NOW, ...payload } });
const withRecord = (over: Msg): Msg => ({ type: 'RECORD', record: { stream: 'stacks', data: { id: 1 }, emitted_at: NOW, ...over } });
const withState = (over: Msg, stateOver: Msg = {}): Msg => ({
  type: 'STATE',
  state: {
    type: 'STREAM',
    stream: { stream_descriptor: { name: 'stacks' }, stream_state: {}, ...over },
    sourceStats: { recordCount: 1 },
    ...stateOver,
  },
});
const withLog = (over: Msg): Msg => ({ type: 'LOG', log: { level: 'INFO', message: 'x', ...over } });
const withError = (over: Msg): Msg => trace('ERROR', { error: { message: 'boom', ...over } });
const withEstimate = (over: Msg): Msg => trace('ESTIMATE', { estimate: { name: 'stacks', type: 'STREAM', ...over } });
const withStatus = (over: Msg): Msg =>
  trace('STREAM_STATUS', { stream_status: { stream_descriptor: { name: 'stacks' }, status: 'RUNNING', ...over } });
const withCatalogStream = (over: Msg): Msg => catalog(catalogStream(over));
const withSpec = (over: Msg): Msg => ({ type: 'SPEC', spec: { connectionSpecification: { type: 'object' }, ...over } });

/** Every kind of message the tap writes, with its optional fields. */
const WELL_FORMED: Msg[] = [
  { type: 'SPEC', spec: JSON.parse(readFileSync(join(REPO_ROOT, 'spec.json'), 'utf8')) as Msg },
  withSpec({ documentationUrl: 'https://example.com/docs', supportsIncremental: true, protocol_version: '0.5.2' }),
  { type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } },
  { type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: 'HTTP 401' } },
  catalog(
    catalogStream(),
    catalogStream({ name: 'members', namespace: 'acme', supported_sync_modes: ['full_refresh'], is_resumable: false }),
  ),
  record('stacks', { id: 1, nested: { a: [1, 2] } }),
  withRecord({ namespace: 'acme' }),
  state('stacks', { cursor: 2 }, 2),
  withState({ stream_descriptor: { name: 'stacks', namespace: 'acme' } }, { sourceStats: { recordCount: 0 } }),
  ...['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'].map((level) => withLog({ level })),
  withLog({ level: 'ERROR', stack_trace: 'Error: boom\n    at x' }),
  withError({}),
  withError({
    internal_message: 'HTTP 500',
    stack_trace: 'Error: boom',
    failure_type: 'transient_error',
    stream_descriptor: { name: 'stacks' },
  }),
  withEstimate({ row_estimate: 120 }),
  withEstimate({ type: 'SYNC', byte_estimate: 4096, namespace: 'acme' }),
  ...['STARTED', 'RUNNING', 'COMPLETE', 'INCOMPLETE'].map((s) => status('stacks', s)),
  withStatus({ reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: NOW + 1000 } }] }),
  withStatus({ reasons: [{ type: 'RATE_LIMITED' }] }),
];

/** Messages that break a rule of the Airbyte protocol, and what the project's checks say of each. */
const MALFORMED: { message: Msg; problems: string[] }[] = [
  { message: { type: 'BOGUS' }, problems: ['/type must be one of SPEC/CONNECTION_STATUS/CATALOG/RECORD/STATE/LOG/TRACE, got "BOGUS"'] },
  { message: { record: {} }, problems: ['/type is missing'] },
  { message: { type: 'SPEC', spec: {} }, problems: ['/spec/connectionSpecification is missing'] },
  { message: withSpec({ connectionSpecification: [] }), problems: ['/spec/connectionSpecification must be an object, got []'] },
  { message: withSpec({ documentationUrl: 'docs' }), problems: ['/spec/documentationUrl must be an absolute URI, got "docs"'] },
  { message: withSpec({ supportsIncremental: 'yes' }), problems: ['/spec/supportsIncremental must be a boolean, got "yes"'] },
  {
    message: { type: 'CONNECTION_STATUS', connectionStatus: { status: 'OK' } },
    problems: ['/connectionStatus/status must be one of SUCCEEDED/FAILED, got "OK"'],
  },
  { message: { type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: 7 } }, problems: ['/connectionStatus/message must be a string, got 7'] },
  { message: { type: 'CATALOG', catalog: { streams: {} } }, problems: ['/catalog/streams must be an array, got {}'] },
  { message: withCatalogStream({ json_schema: undefined }), problems: ['/catalog/streams/0/json_schema is missing'] },
  { message: withCatalogStream({ name: 5 }), problems: ['/catalog/streams/0/name must be a string, got 5'] },
  { message: withCatalogStream({ supported_sync_modes: [] }), problems: ['/catalog/streams/0/supported_sync_modes must not be empty'] },
  {
    message: withCatalogStream({ supported_sync_modes: ['append'] }),
    problems: ['/catalog/streams/0/supported_sync_modes/0 must be one of full_refresh/incremental, got "append"'],
  },
  { message: withCatalogStream({ source_defined_cursor: 'yes' }), problems: ['/catalog/streams/0/source_defined_cursor must be a boolean, got "yes"'] },
  { message: withCatalogStream({ default_cursor_field: [1] }), problems: ['/catalog/streams/0/default_cursor_field/0 must be a string, got 1'] },
  {
    message: withCatalogStream({ source_defined_primary_key: [['id', 2]] }),
    problems: ['/catalog/streams/0/source_defined_primary_key/0/1 must be a string, got 2'],
  },
  { message: withRecord({ emitted_at: NOW + 0.5 }), problems: [`/record/emitted_at must be an integer, got ${NOW + 0.5}`] },
  { message: withRecord({ emitted_at: String(NOW) }), problems: [`/record/emitted_at must be an integer, got "${NOW}"`] },
  { message: withRecord({ data: [1] }), problems: ['/record/data must be an object, got [1]'] },
  { message: withRecord({ stream: undefined }), problems: ['/record/stream is missing'] },
  { message: withRecord({ namespace: 3 }), problems: ['/record/namespace must be a string, got 3'] },
  { message: withState({ stream_descriptor: {} }), problems: ['/state/stream/stream_descriptor/name is missing'] },
  { message: withState({ stream_descriptor: { name: 7 } }), problems: ['/state/stream/stream_descriptor/name must be a string, got 7'] },
  { message: withState({ stream_state: [] }), problems: ['/state/stream/stream_state must be an object, got []'] },
  { message: withState({}, { sourceStats: { recordCount: '3' } }), problems: ['/state/sourceStats/recordCount must be a number, got "3"'] },
  { message: withLog({ level: 'NOTICE' }), problems: ['/log/level must be one of FATAL/ERROR/WARN/INFO/DEBUG/TRACE, got "NOTICE"'] },
  { message: withLog({ message: undefined }), problems: ['/log/message is missing'] },
  { message: withLog({ stack_trace: 1 }), problems: ['/log/stack_trace must be a string, got 1'] },
  { message: { type: 'TRACE', trace: { type: 'ERROR', error: { message: 'x' } } }, problems: ['/trace/emitted_at is missing'] },
  { message: trace('ERROR', { emitted_at: '1', error: { message: 'x' } }), problems: ['/trace/emitted_at must be a number, got "1"'] },
  {
    message: trace('PROGRESS', {}),
    problems: ['/trace/type must be one of ERROR/ESTIMATE/STREAM_STATUS, got "PROGRESS"'],
  },
  { message: withError({ message: undefined }), problems: ['/trace/error/message is missing'] },
  {
    message: withError({ failure_type: 'fatal' }),
    problems: ['/trace/error/failure_type must be one of system_error/config_error/transient_error, got "fatal"'],
  },
  { message: withError({ stream_descriptor: {} }), problems: ['/trace/error/stream_descriptor/name is missing'] },
  { message: withEstimate({ name: undefined }), problems: ['/trace/estimate/name is missing'] },
  { message: withEstimate({ type: 'TABLE' }), problems: ['/trace/estimate/type must be one of STREAM/SYNC, got "TABLE"'] },
  { message: withEstimate({ row_estimate: 1.5 }), problems: ['/trace/estimate/row_estimate must be an integer, got 1.5'] },
  {
    message: withStatus({ status: 'DONE' }),
    problems: ['/trace/stream_status/status must be one of STARTED/RUNNING/COMPLETE/INCOMPLETE, got "DONE"'],
  },
  { message: withStatus({ stream_descriptor: undefined }), problems: ['/trace/stream_status/stream_descriptor is missing'] },
  { message: withStatus({ reasons: {} }), problems: ['/trace/stream_status/reasons must be an array, got {}'] },
  {
    message: withStatus({ reasons: [{ type: 'SLOW' }] }),
    problems: ['/trace/stream_status/reasons/0/type must be "RATE_LIMITED", got "SLOW"'],
  },
  {
    message: withStatus({ reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: 1.5 } }] }),
    problems: ['/trace/stream_status/reasons/0/rate_limited/quota_reset must be an integer, got 1.5'],
  },
];

/** Allowed by the protocol, but not what this tap promises to write. */
const STRICTER_THAN_THE_PROTOCOL: { message: Msg; problems: string[] }[] = [
  { message: { type: 'SPEC' }, problems: ['/spec is missing'] },
  { message: { type: 'RECORD' }, problems: ['/record is missing'] },
  { message: { type: 'TRACE', trace: { type: 'ERROR', emitted_at: NOW } }, problems: ['/trace/error is missing'] },
  { message: withState({ stream_state: undefined }), problems: ['/state/stream/stream_state is missing'] },
  { message: withState({}, { sourceStats: undefined }), problems: ['/state/sourceStats is missing'] },
  { message: withState({}, { sourceStats: {} }), problems: ['/state/sourceStats/recordCount is missing'] },
  {
    message: { type: 'STATE', state: { type: 'LEGACY', data: {}, sourceStats: { recordCount: 1 } } },
    problems: ['/state/type must be "STREAM", got "LEGACY"'],
  },
  {
    message: { type: 'CONTROL', control: { type: 'CONNECTOR_CONFIG', emitted_at: NOW } },
    problems: ['/type must be one of SPEC/CONNECTION_STATUS/CATALOG/RECORD/STATE/LOG/TRACE, got "CONTROL"'],
  },
  {
    message: trace('ANALYTICS', { analytics: { type: 'x' } }),
    problems: ['/trace/type must be one of ERROR/ESTIMATE/STREAM_STATUS, got "ANALYTICS"'],
  },
];

void describe('airbyteMessageProblems', () => {
  void it('accepts every kind of message the tap writes', () => {
    for (const message of WELL_FORMED) assert.deepEqual(airbyteMessageProblems(message), [], JSON.stringify(message));
  });
  void it('names each broken rule of the protocol by its JSON pointer', () => {
    for (const { message, problems } of MALFORMED) assert.deepEqual(airbyteMessageProblems(message), problems);
  });
  void it('holds the tap to more than the protocol requires', () => {
    for (const { message, problems } of STRICTER_THAN_THE_PROTOCOL) assert.deepEqual(airbyteMessageProblems(message), problems);
  });
  void it('reports every problem of a message, not just the first', () => {
    assert.deepEqual(airbyteMessageProblems(withRecord({ stream: 1, data: 'x', emitted_at: undefined })), [
      '/record/stream must be a string, got 1',
      '/record/data must be an object, got "x"',
      '/record/emitted_at is missing',
    ]);
  });
});

void describe('official Airbyte protocol schema cross-check (opt-in)', () => {
  void it('agrees with the project checks on the sample messages', (t) => {
    const official = OFFICIAL_AIRBYTE_SCHEMA;
    if (!official) {
      t.diagnostic(`official Airbyte protocol schema cross-check: not run: set ${OFFICIAL_SCHEMA_ENV}=/path/to/airbyte_protocol.json`);
      return;
    }
    for (const message of WELL_FORMED) assert.deepEqual(official.problems(message), [], JSON.stringify(message));
    for (const { message } of MALFORMED) {
      assert.notDeepEqual(official.problems(message), [], `the official schema accepts ${JSON.stringify(message)}`);
    }
    t.diagnostic(
      `official Airbyte protocol schema cross-check: ran against ${official.path} ` +
        `(${WELL_FORMED.length} well-formed and ${MALFORMED.length} malformed sample messages agree; ` +
        'every Airbyte message of the CLI tests is checked against it too)',
    );
  });

  void it('is off unless the variable names a file', () => {
    assert.equal(officialAirbyteSchemaFrom({}), undefined);
    assert.equal(officialAirbyteSchemaFrom({ [OFFICIAL_SCHEMA_ENV]: '' }), undefined);
  });

  void it('fails loudly when the variable names no usable schema', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'airbyte_protocol.json');
    assert.throws(
      () => officialAirbyteSchemaFrom({ [OFFICIAL_SCHEMA_ENV]: missing }),
      (error: Error) => error.message.startsWith(`${OFFICIAL_SCHEMA_ENV}=${missing}: cannot be read as JSON`),
    );
    const unrelated = await writeJson(dir, 'other.json', { definitions: {} });
    assert.throws(() => loadOfficialAirbyteSchema(unrelated), /has no definitions\/AirbyteMessage/);
  });

  void it('reports, line by line, where the official schema disagrees with the project checks', async () => {
    // A stand-in "official" schema that demands a field the project's checks do not know.
    const dir = await tempDir();
    const path = await writeJson(dir, 'stand-in.json', {
      $id: 'stand-in.json',
      definitions: { AirbyteMessage: { type: 'object', required: ['note'] } },
    });
    const officialSchema = loadOfficialAirbyteSchema(path);
    const spec = { type: 'SPEC', spec: { connectionSpecification: {} } };
    assert.deepEqual(checkAirbyteOutput(out(spec), { command: 'spec', officialSchema }), [
      "line 1: passes this project's checks but not the official Airbyte protocol schema: / must have required property 'note'",
    ]);
    // A line the project's checks reject is reported once, by them.
    assert.deepEqual(checkAirbyteOutput(out(spec, { type: 'LOG' }), { command: 'spec', officialSchema }), [
      "line 1: passes this project's checks but not the official Airbyte protocol schema: / must have required property 'note'",
      'line 2: not a valid AirbyteMessage: /log is missing',
    ]);
    assert.deepEqual(checkAirbyteOutput(out(spec), { command: 'spec', officialSchema: undefined }), []);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
    assertOne(v, /^line 2: not a valid AirbyteMessage: \/type must be equal to one of the allowed values/);
  });
  void it('reports a message whose payload field is missing', () => {
    const v = checkAirbyteOutput(out({ type: 'SPEC' }), { command: 'spec' });
    assertOne(v, /line 1: SPEC message has no "spec" object/);
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
      v.some((s) => /line 1: connectionStatus.status must be SUCCEEDED or FAILED/.test(s)),
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
      /source_defined_primary_key must be an array of non-empty arrays of strings/,
    );
    const v = checkAirbyteOutput(out(catalog(catalogStream({ source_defined_primary_key: ['id'] }))), {
      command: 'discover',
    });
    assert.ok(
      v.some((s) => /source_defined_primary_key/.test(s)),
      v.join('\n'),
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
      /line 3: not a valid AirbyteMessage: \/record\/emitted_at must be integer/,
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
    assert.ok(
      v.some((s) => /line 6: STATE type must be "STREAM"/.test(s)),
      v.join('\n'),
    );
    const noStats = {
      type: 'STATE',
      state: { type: 'STREAM', stream: { stream_descriptor: { name: 'stacks' }, stream_state: {} } },
    };
    const v2 = checkAirbyteOutput(
      out(...goodStream('stacks').slice(0, -1), noStats, status('stacks', 'COMPLETE')),
      opts,
    );
    assertOne(v2, /line 6: STATE has no numeric sourceStats.recordCount/);
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
    assert.ok(
      v.some((s) => /line 7: TRACE of type STREAM_STATUS has no "trace.stream_status" object/.test(s)),
      v.join('\n'),
    );
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

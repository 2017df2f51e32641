import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError } from '../src/errors.js';
import { codecFor } from '../src/core/cursor.js';
import { contextKey, StateStore } from '../src/core/state.js';

const KNOWN = new Set(['stacks', 'stack_updates', 'organization_members', 'organization_teams']);

/** The tap's known streams, as the read command gives them. */
function parseState(input: unknown, where?: string): StateStore {
  return StateStore.parse(input, KNOWN, where);
}

const acme = { org_name: 'acme' };
const stackCtx = { org_name: 'acme', project_name: 'web', stack_name: 'prod' };

function airbyteStream(name: string, streamState?: unknown): Record<string, unknown> {
  return { type: 'STREAM', stream: { stream_descriptor: { name }, ...(streamState === undefined ? {} : { stream_state: streamState }) } };
}

/** Asserts a ConfigError whose message contains every fragment. */
function throwsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.failureType, 'config_error');
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    return true;
  });
}

void describe('StateStore.parse: empty inputs', () => {
  for (const [label, input] of [
    ['{}', {}],
    ['[]', []],
    ['null', null],
    ['undefined', undefined],
  ] as const) {
    void it(`accepts ${label} as no state`, () => {
      const store = parseState(input);
      assert.equal(store.get('stacks', acme), undefined);
      assert.deepEqual(store.singerStreamState('stacks'), {});
      assert.deepEqual(store.singerState(), { bookmarks: {} });
    });
  }
});

void describe('StateStore.parse: Singer state', () => {
  void it('reads partitions under bookmarks', () => {
    const store = parseState({
      bookmarks: {
        stacks: { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 1700000000 }] },
        stack_updates: {
          partitions: [
            { context: stackCtx, replication_key: 'start_time', replication_key_value: 1700000100, unsettled: true },
            { context: { ...stackCtx, stack_name: 'dev' }, replication_key: 'start_time', replication_key_value: 1700000200 },
          ],
        },
      },
    });
    assert.deepEqual(store.get('stacks', acme), { context: acme, replication_key: 'last_update', replication_key_value: 1700000000 });
    assert.deepEqual(store.get('stack_updates', stackCtx), {
      context: stackCtx,
      replication_key: 'start_time',
      replication_key_value: 1700000100,
      unsettled: true,
    });
    assert.equal(store.get('stack_updates', { ...stackCtx, stack_name: 'dev' })?.replication_key_value, 1700000200);
    assert.equal(store.get('stack_updates', { ...stackCtx, stack_name: 'dev' })?.unsettled, undefined);
    assert.equal(store.get('stack_updates', { ...stackCtx, stack_name: 'other' }), undefined);
    assert.equal(store.get('stacks', { org_name: 'other' }), undefined);
  });

  void it('matches contexts whatever the key order', () => {
    const store = parseState({
      bookmarks: {
        stack_updates: {
          partitions: [{ context: { stack_name: 'prod', org_name: 'acme', project_name: 'web' }, replication_key: 'start_time', replication_key_value: 5 }],
        },
      },
    });
    assert.equal(store.get('stack_updates', stackCtx)?.replication_key_value, 5);
    assert.equal(contextKey({ b: '1', a: '2' }), contextKey({ a: '2', b: '1' }));
    assert.notEqual(contextKey({ a: '1' }), contextKey({ a: '2' }));
  });

  void it('reads a Singer state wrapped in singer_state', () => {
    const store = parseState({
      singer_state: { bookmarks: { stacks: { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 42 }] } } },
    });
    assert.equal(store.get('stacks', acme)?.replication_key_value, 42);
  });

  void it('skips partitions without a bookmark value (from the start)', () => {
    const store = parseState({
      bookmarks: {
        stacks: {
          partitions: [
            { context: acme },
            { context: { org_name: 'other' }, replication_key: 'last_update', replication_key_value: null },
          ],
        },
      },
    });
    assert.equal(store.get('stacks', acme), undefined);
    assert.equal(store.get('stacks', { org_name: 'other' }), undefined);
  });

  void it("keeps RFC 3339 bookmark values as text (the stream's cursor reads them: as Unix seconds for stacks)", () => {
    const store = parseState({
      bookmarks: {
        stacks: {
          partitions: [
            { context: acme, replication_key: 'last_update', replication_key_value: '2024-01-01T00:00:00Z' },
            { context: { org_name: 'b' }, replication_key: 'last_update', replication_key_value: '2024-01-01T02:00:00.900+02:00' },
          ],
        },
      },
    });
    assert.equal(store.get('stacks', acme)?.replication_key_value, '2024-01-01T00:00:00Z');
    assert.equal(codecFor('unix-seconds').fromState(store.get('stacks', acme)?.replication_key_value, 'x'), 1704067200);
    assert.equal(codecFor('unix-seconds').fromState(store.get('stacks', { org_name: 'b' })?.replication_key_value, 'x'), 1704067200);
  });

  void it('reads numeric-string bookmark values and floors fractional numbers', () => {
    const store = parseState({
      bookmarks: {
        stacks: {
          partitions: [
            { context: acme, replication_key: 'last_update', replication_key_value: '1700000000' },
            { context: { org_name: 'b' }, replication_key: 'last_update', replication_key_value: 1700000000.75 },
          ],
        },
      },
    });
    assert.equal(store.get('stacks', acme)?.replication_key_value, 1700000000);
    assert.equal(store.get('stacks', { org_name: 'b' })?.replication_key_value, 1700000000);
  });

  void it('uses a stream-wide replication_key_value for every partition when the stream has none of its own', () => {
    const store = parseState({ bookmarks: { stack_updates: { replication_key_value: 1600000000 } } });
    const other = { ...stackCtx, stack_name: 'dev' };
    assert.deepEqual(store.get('stack_updates', other), { context: other, replication_key: '', replication_key_value: 1600000000 });
    assert.equal(store.get('stacks', acme), undefined);
    assert.deepEqual(store.singerStreamState('stack_updates'), { replication_key_value: 1600000000 });
  });

  void it('ignores a stream-wide value beside partitions: a partition the state does not list starts from the beginning', () => {
    const store = parseState({
      bookmarks: {
        stack_updates: {
          replication_key_value: 1600000000,
          partitions: [{ context: stackCtx, replication_key: 'start_time', replication_key_value: 1700000000 }],
        },
      },
    });
    assert.equal(store.get('stack_updates', stackCtx)?.replication_key_value, 1700000000);
    assert.equal(store.get('stack_updates', { ...stackCtx, stack_name: 'new' }), undefined);
    assert.deepEqual(store.singerStreamState('stack_updates'), { partitions: [{ context: stackCtx, replication_key: 'start_time', replication_key_value: 1700000000 }] });
  });

  void it('accepts a stream-wide value given as RFC 3339', () => {
    const store = parseState({ bookmarks: { stacks: { replication_key_value: '2024-01-01T00:00:00Z' } } });
    assert.equal(store.get('stacks', acme)?.replication_key_value, '2024-01-01T00:00:00Z');
  });

  void it('carries bookmarks of unknown streams over into singerState()', () => {
    const store = parseState({
      bookmarks: {
        retired_stream: { partitions: [{ context: acme, replication_key: 'updated', replication_key_value: 5 }] },
        other_tap_stream: { version: 3, last_record: 'abc', nested: { a: [1, 2] } },
        stacks: { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 10 }] },
      },
    });
    const state = store.singerState();
    assert.deepEqual(Object.keys(state.bookmarks).sort(), ['other_tap_stream', 'retired_stream', 'stacks']);
    assert.deepEqual(state.bookmarks.retired_stream, { partitions: [{ context: acme, replication_key: 'updated', replication_key_value: 5 }] });
    assert.deepEqual(state.bookmarks.other_tap_stream, { version: 3, last_record: 'abc', nested: { a: [1, 2] } });
    assert.deepEqual(state.bookmarks.stacks, { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 10 }] });
  });

  void it('keeps the bookmark of an unknown stream exactly as it came (not rewritten)', () => {
    // "Bookmarks of streams this run does not touch, kept as they came": a stream this tap does not
    // know is never touched, so its bookmark must come back byte for byte.
    const foreign = { replication_key: 'updated_at', replication_key_value: '2024-01-01T00:00:00Z' };
    const store = parseState({ bookmarks: { retired_stream: foreign } });
    assert.deepEqual(store.singerState().bookmarks.retired_stream, foreign);
  });

  void it('does not reject the state because of an unknown stream bookmark in another format', () => {
    const foreign = { replication_key: 'cursor', replication_key_value: 'opaque-cursor-abc' };
    const store = parseState({ bookmarks: { retired_stream: foreign } });
    assert.deepEqual(store.singerState().bookmarks.retired_stream, foreign);
  });
});

void describe('StateStore.parse: Airbyte state', () => {
  void it('reads an array of STREAM states', () => {
    const store = parseState([
      airbyteStream('stacks', { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 100 }] }),
      airbyteStream('stack_updates', { partitions: [{ context: stackCtx, replication_key: 'start_time', replication_key_value: 200, unsettled: true }] }),
      airbyteStream('organization_members'),
      airbyteStream('organization_teams', null),
    ]);
    assert.equal(store.get('stacks', acme)?.replication_key_value, 100);
    assert.equal(store.get('stack_updates', stackCtx)?.unsettled, true);
    assert.deepEqual(store.singerStreamState('organization_members'), {});
    assert.deepEqual(store.singerStreamState('organization_teams'), {});
  });

  void it('reads an array of whole STATE messages', () => {
    const store = parseState([
      { type: 'STATE', state: airbyteStream('stacks', { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 7 }] }) },
      { type: 'STATE', state: airbyteStream('stack_updates', { replication_key_value: '8' }) },
    ]);
    assert.equal(store.get('stacks', acme)?.replication_key_value, 7);
    assert.equal(store.get('stack_updates', stackCtx)?.replication_key_value, 8);
  });

  void it('reads a single STREAM state object', () => {
    const store = parseState(airbyteStream('stacks', { replication_key_value: 9 }));
    assert.equal(store.get('stacks', acme)?.replication_key_value, 9);
  });

  void it('does not carry Airbyte streams into singerState() as untouched bookmarks', () => {
    const store = parseState([airbyteStream('some_other_stream', { a: 1 })]);
    assert.deepEqual(store.singerState(), { bookmarks: {} });
  });
});

void describe('StateStore.parse: errors', () => {
  void it('rejects GLOBAL state', () => {
    throwsConfig(() => parseState([{ type: 'GLOBAL', global: { shared_state: {}, stream_states: [] } }]), 'state[0]', 'GLOBAL state is not supported');
  });

  void it('rejects LEGACY state', () => {
    throwsConfig(() => parseState([{ type: 'LEGACY', legacy: {} }]), 'state[0]', 'LEGACY state is not supported');
  });

  void it('rejects a GLOBAL state inside a STATE message, naming the path', () => {
    throwsConfig(() => parseState([airbyteStream('stacks'), { type: 'STATE', state: { type: 'GLOBAL' } }]), 'state[1].state', 'GLOBAL');
  });

  void it('rejects untyped array items', () => {
    throwsConfig(() => parseState([{ data: {} }]), 'state[0]', 'untyped state is not supported');
    throwsConfig(() => parseState([5]), 'state[0]: expected an Airbyte state object');
  });

  void it('rejects a STREAM state without a stream name', () => {
    throwsConfig(() => parseState([{ type: 'STREAM', stream: { stream_state: {} } }]), 'state[0].stream.stream_descriptor.name', 'expected a stream name');
  });

  void it('rejects a non-object', () => {
    throwsConfig(() => parseState(5), 'state: expected a JSON object or array, got number');
    throwsConfig(() => parseState('{}', 'state file'), 'state file: expected a JSON object or array, got string');
  });

  void it('rejects an object that is neither Singer nor Airbyte state', () => {
    throwsConfig(() => parseState({ foo: 1 }), "state: expected a Singer state with 'bookmarks'");
  });

  void it('rejects bookmarks that are not an object', () => {
    throwsConfig(() => parseState({ bookmarks: [] }), 'state.bookmarks: expected an object');
    throwsConfig(() => parseState({ bookmarks: 'x' }), 'state.bookmarks: expected an object');
    throwsConfig(() => parseState({ bookmarks: null }), 'state.bookmarks: expected an object');
  });

  void it('rejects a stream bookmark that is not an object', () => {
    throwsConfig(() => parseState({ bookmarks: { stacks: 5 } }), 'state.bookmarks.stacks: expected an object');
    throwsConfig(() => parseState([airbyteStream('stacks', [1])]), 'state[0].stream.stream_state: expected an object');
  });

  void it('rejects partitions that are not an array', () => {
    throwsConfig(() => parseState({ bookmarks: { stacks: { partitions: {} } } }), 'state.bookmarks.stacks.partitions: expected an array');
  });

  void it('rejects a partition context with non-string values', () => {
    throwsConfig(
      () => parseState({ bookmarks: { stacks: { partitions: [{ context: { org_name: 5 }, replication_key_value: 1 }] } } }),
      'state.bookmarks.stacks.partitions[0].context',
      'expected an object of strings',
    );
    throwsConfig(
      () => parseState({ bookmarks: { stacks: { partitions: [{ context: ['acme'], replication_key_value: 1 }] } } }),
      'state.bookmarks.stacks.partitions[0].context',
    );
    throwsConfig(() => parseState({ bookmarks: { stacks: { partitions: [{ replication_key_value: 1 }] } } }), 'partitions[0].context');
  });

  void it('rejects a partition that is not an object', () => {
    throwsConfig(() => parseState({ bookmarks: { stacks: { partitions: ['x'] } } }), 'state.bookmarks.stacks.partitions[0]: expected an object');
  });

  void it('rejects a non-numeric replication_key_value', () => {
    throwsConfig(
      () => parseState({ bookmarks: { stacks: { partitions: [{ context: acme, replication_key_value: 'yesterday' }] } } }),
      'state.bookmarks.stacks.partitions[0].replication_key_value',
      'expected Unix seconds, a sequence number or an RFC 3339 time, got "yesterday"',
    );
    throwsConfig(
      () => parseState({ bookmarks: { stacks: { partitions: [{ context: acme, replication_key_value: true }] } } }),
      'partitions[0].replication_key_value: expected Unix seconds, a sequence number or an RFC 3339 time, got true',
    );
    throwsConfig(() => parseState({ bookmarks: { stacks: { replication_key_value: {} } } }), 'state.bookmarks.stacks.replication_key_value: expected Unix seconds');
    throwsConfig(
      () => parseState([airbyteStream('stacks', { partitions: [{ context: acme, replication_key_value: 'abc' }] })]),
      'state[0].stream.stream_state.partitions[0].replication_key_value',
    );
  });

  void it('rejects a string bookmark that is neither Unix seconds nor RFC 3339 (no lenient date parsing)', () => {
    // Date.parse in V8 reads 'Jan 5' as 2001-01-05 local time; a bookmark like that is garbage, not a date.
    throwsConfig(
      () => parseState({ bookmarks: { stacks: { partitions: [{ context: acme, replication_key_value: 'Jan 5' }] } } }),
      'partitions[0].replication_key_value',
      'expected Unix seconds',
    );
  });
});

void describe('StateStore: get/set/clear and outputs', () => {
  void it('set then get and streamState', () => {
    const store = new StateStore(KNOWN);
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 1 });
    store.set('stacks', { context: { org_name: 'b' }, replication_key: 'last_update', replication_key_value: 2 });
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 3 });
    assert.equal(store.get('stacks', acme)?.replication_key_value, 3);
    assert.deepEqual(store.singerStreamState('stacks'), {
      partitions: [
        { context: acme, replication_key: 'last_update', replication_key_value: 3 },
        { context: { org_name: 'b' }, replication_key: 'last_update', replication_key_value: 2 },
      ],
    });
  });

  void it('set keeps the unsettled marker', () => {
    const store = new StateStore(KNOWN);
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 5, unsettled: true });
    assert.deepEqual(store.singerStreamState('stack_updates'), {
      partitions: [{ context: stackCtx, replication_key: 'start_time', replication_key_value: 5, unsettled: true }],
    });
  });

  void it('clear drops partitions, the stream-wide fallback and a carried Singer bookmark', () => {
    const store = parseState({
      bookmarks: {
        stacks: { replication_key_value: 50, partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 100 }] },
        organization_members: { something: 1 },
        other: { x: 1 },
      },
    });
    store.clear('stacks');
    store.clear('organization_members');
    assert.equal(store.get('stacks', acme), undefined);
    assert.deepEqual(store.singerStreamState('stacks'), {});
    assert.deepEqual(store.singerState(), { bookmarks: { other: { x: 1 } } });
  });

  void it('singerState lists every stream with state under bookmarks', () => {
    const store = new StateStore(KNOWN);
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 1 });
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 2 });
    assert.deepEqual(store.singerState(), {
      bookmarks: {
        stacks: { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 1 }] },
        stack_updates: { partitions: [{ context: stackCtx, replication_key: 'start_time', replication_key_value: 2 }] },
      },
    });
  });

  void it('a Singer state written by singerState() parses back to the same state', () => {
    const store = new StateStore(KNOWN);
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 11 });
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 22, unsettled: true });
    const again = parseState(JSON.parse(JSON.stringify(store.singerState())));
    assert.deepEqual(again.singerState(), store.singerState());
    assert.deepEqual(again.get('stack_updates', stackCtx), store.get('stack_updates', stackCtx));
  });

  void it('an Airbyte stream state in the old partitions shape parses back', () => {
    const store = new StateStore(KNOWN);
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 33 });
    const again = parseState([airbyteStream('stack_updates', store.singerStreamState('stack_updates'))]);
    assert.deepEqual(again.singerStreamState('stack_updates'), store.singerStreamState('stack_updates'));
  });

  void it("an Airbyte stream state written by airbyteStreamState() parses back, in either protocol's envelope", () => {
    const store = new StateStore(KNOWN);
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 33, unsettled: true });
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 44, null_cursor_keys: [['web', 'dev']] });
    const airbyte = parseState([airbyteStream('stack_updates', store.airbyteStreamState('stack_updates')), airbyteStream('stacks', store.airbyteStreamState('stacks'))]);
    assert.deepEqual(airbyte.singerState(), store.singerState());
    const singer = parseState({ bookmarks: { stacks: store.airbyteStreamState('stacks') } });
    assert.deepEqual(singer.get('stacks', acme), store.get('stacks', acme));
  });
});

void describe('StateStore: the Airbyte per-partition shape', () => {
  void it('writes states with partition and cursor, and one global value every partition has passed', () => {
    const store = new StateStore(KNOWN);
    store.set('stack_updates', { context: stackCtx, replication_key: 'start_time', replication_key_value: 300 });
    store.set('stack_updates', { context: { ...stackCtx, stack_name: 'dev' }, replication_key: 'start_time', replication_key_value: 200, unsettled: true });
    // An empty history (0) is not a position in time: it does not drag the global value down.
    store.set('stack_updates', { context: { ...stackCtx, stack_name: 'empty' }, replication_key: 'start_time', replication_key_value: 0 });
    assert.deepEqual(store.airbyteStreamState('stack_updates'), {
      states: [
        { partition: stackCtx, cursor: { start_time: 300 } },
        { partition: { ...stackCtx, stack_name: 'dev' }, cursor: { start_time: 200 }, unsettled: true },
        { partition: { ...stackCtx, stack_name: 'empty' }, cursor: { start_time: 0 } },
      ],
      state: { start_time: 200 },
    });
    assert.deepEqual(new StateStore(KNOWN).airbyteStreamState('stacks'), { states: [] });
  });

  void it('reads a global value without partitions as the stream-wide bookmark, and ignores it beside partitions', () => {
    const alone = parseState([airbyteStream('stack_updates', { state: { start_time: 500 } })]);
    assert.equal(alone.get('stack_updates', stackCtx)?.replication_key_value, 500);
    const beside = parseState([airbyteStream('stack_updates', { states: [{ partition: stackCtx, cursor: { start_time: 700 } }], state: { start_time: 700 } })]);
    assert.equal(beside.get('stack_updates', stackCtx)?.replication_key_value, 700);
    // A stack the state does not know starts from the beginning, not from the summary value.
    assert.equal(beside.get('stack_updates', { ...stackCtx, stack_name: 'new' }), undefined);
  });

  void it('refuses a partition with more than one cursor field, and a malformed partition', () => {
    assert.throws(() => parseState([airbyteStream('stacks', { states: [{ partition: acme, cursor: { a: 1, b: 2 } }] })]), /expected one cursor field, got a, b/);
    assert.throws(() => parseState([airbyteStream('stacks', { states: [{ partition: { org_name: 5 }, cursor: { last_update: 1 } }] })]), /partition: expected an object of strings/);
    assert.throws(() => parseState([airbyteStream('stacks', { states: [{ partition: acme, cursor: { last_update: 1 }, null_cursor_keys: 'x' }] })]), /null_cursor_keys: expected a list of key value lists/);
  });
});

void describe('StateStore.mapBookmarks', () => {
  void it('replaces the bookmarks a function changes, partitions and stream-wide, and counts them', () => {
    const store = parseState({
      bookmarks: {
        stack_updates: {
          partitions: [
            { context: stackCtx, replication_key: 'start_time', replication_key_value: 100 },
            { context: { ...stackCtx, stack_name: 'b' }, replication_key: 'start_time', replication_key_value: 10 },
          ],
        },
        stacks: { replication_key_value: 50 },
      },
    });
    const change = (value: string | number) => (Number(value) > 20 ? 20 : undefined);
    assert.equal(store.mapBookmarks('stack_updates', change), 1);
    assert.equal(store.get('stack_updates', stackCtx)?.replication_key_value, 20);
    assert.equal(store.get('stack_updates', { ...stackCtx, stack_name: 'b' })?.replication_key_value, 10);
    const seen: string[] = [];
    assert.equal(store.mapBookmarks('stacks', (value, where) => (seen.push(where), change(value))), 1);
    assert.equal(store.get('stacks', { org_name: 'any' })?.replication_key_value, 20);
    assert.ok(seen.some((where) => where.includes('stream-wide')));
  });

  void it('keeps its size estimate right through changes', () => {
    const store = new StateStore(KNOWN);
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 1 });
    const one = store.approximateBytes();
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 1000 });
    assert.equal(store.approximateBytes(), one + 3);
    store.prune('stacks', () => true);
    assert.equal(store.approximateBytes(), 0);
  });

  void it('a set partition replaces the carried Singer bookmark of that stream', () => {
    const store = parseState({ bookmarks: { stacks: { foreign: true } } });
    assert.deepEqual(store.singerState(), { bookmarks: { stacks: { foreign: true } } });
    store.set('stacks', { context: acme, replication_key: 'last_update', replication_key_value: 1 });
    assert.deepEqual(store.singerState(), { bookmarks: { stacks: { partitions: [{ context: acme, replication_key: 'last_update', replication_key_value: 1 }] } } });
  });
});

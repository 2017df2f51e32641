// Cursor policies in-process: codecs, verdicts, and where a partition's bookmark moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codecFor, parentShowsNothingNew, parseTimestamp, PartitionCursor, type Bookmark, type CursorPolicy } from '../src/core/cursor.js';

const NOW_MS = 1_800_000_000_000;
const now = () => NOW_MS;

function bookmark(position: number, extra: Partial<Bookmark> = {}): Bookmark {
  return { position, fromState: true, unsettled: false, nullCursorKeys: new Set(), ...extra };
}

function record(cursorValue: unknown, extra: { settled?: boolean; key?: (string | number)[] } = {}) {
  return { cursorValue, settled: extra.settled ?? true, ownKey: extra.key ?? ['k'] };
}

void describe('cursor codecs', () => {
  void it('unix seconds: integers and digit strings; 0 and null mean no time yet; anything else is invalid', () => {
    const codec = codecFor('unix-seconds');
    assert.equal(codec.parse(1700000000), 1700000000);
    assert.equal(codec.parse('1700000000'), 1700000000);
    assert.equal(codec.parse(0), null);
    assert.equal(codec.parse(null), null);
    assert.equal(codec.parse('yesterday'), 'invalid');
    assert.equal(codec.parse(1.5), 'invalid');
    assert.equal(codec.fromState('2024-01-01T00:00:00Z', 'x'), 1704067200);
    assert.throws(() => codec.fromState('soon', 'state of x'), /state of x: expected Unix seconds, got "soon"/);
    assert.equal(codec.toWire(5), 5);
  });

  void it('RFC 3339: zoned, and the API zone-less form read as UTC; kept as ISO text in state', () => {
    const codec = codecFor('rfc3339');
    assert.equal(codec.parse('2023-09-19T05:49:43.002Z'), Date.UTC(2023, 8, 19, 5, 49, 43, 2));
    assert.equal(codec.parse('2023-09-19 05:49:43.002'), Date.UTC(2023, 8, 19, 5, 49, 43, 2));
    assert.equal(codec.parse('2023-09-19T07:49:43+02:00'), Date.UTC(2023, 8, 19, 5, 49, 43));
    assert.equal(codec.parse('Sept 19'), 'invalid');
    assert.equal(codec.toState(Date.UTC(2024, 0, 1)), '2024-01-01T00:00:00.000Z');
    assert.equal(codec.fromState('2024-01-01T00:00:00.000Z', 'x'), Date.UTC(2024, 0, 1));
    assert.equal(codec.fromUnixSeconds(1), 1000);
    assert.equal(parseTimestamp('2024-01-01'), undefined);
  });

  void it('sequence: plain integers, no clock', () => {
    const codec = codecFor('sequence');
    assert.equal(codec.parse(42), 42);
    assert.equal(codec.parse('42'), 42);
    assert.equal(codec.parse(-1), 'invalid');
    assert.equal(codec.fromUnixSeconds(1), undefined);
    assert.equal(codec.perSecond, 0);
  });
});

void describe('PartitionCursor', () => {
  const newestFirst: CursorPolicy = { field: 't', type: 'unix-seconds', order: 'newest-first', unchangedWhenParent: 'p' };
  const unsorted: CursorPolicy = { field: 't', type: 'unix-seconds', order: 'unsorted' };
  const oldestFirst: CursorPolicy = { field: 'n', type: 'sequence', order: 'oldest-first' };

  void it('newest first: emits down to the bookmark (inclusive), then stops; moves on completion', () => {
    const cursor = new PartitionCursor(newestFirst, bookmark(100), now, NOW_MS);
    assert.deepEqual([130, 100, 99].map((t) => cursor.observe(record(t))), ['emit', 'emit', 'stop']);
    assert.equal(cursor.pageBookmark(), undefined);
    assert.deepEqual(cursor.completed(), { position: 130, unsettled: false, nullCursorKeys: [] });
  });

  void it('a look-back reads again what is that much older than the bookmark', () => {
    const cursor = new PartitionCursor({ ...newestFirst, lookbackSeconds: 50 }, bookmark(100), now, NOW_MS);
    assert.deepEqual([120, 60, 49].map((t) => cursor.observe(record(t))), ['emit', 'emit', 'stop']);
    assert.equal(cursor.startWire(undefined), 50);
  });

  void it('an unfinished record holds the bookmark at itself and marks the partition unsettled', () => {
    const cursor = new PartitionCursor(newestFirst, undefined, now, NOW_MS);
    cursor.observe(record(300));
    cursor.observe(record(200, { settled: false }));
    cursor.observe(record(100));
    assert.deepEqual(cursor.completed(), { position: 200, unsettled: true, nullCursorKeys: [] });
  });

  void it('an empty partition is remembered as 0 when a parent field can prove it unchanged', () => {
    assert.deepEqual(new PartitionCursor(newestFirst, undefined, now, NOW_MS).completed(), { position: 0, unsettled: false, nullCursorKeys: [] });
    assert.equal(new PartitionCursor(unsorted, undefined, now, NOW_MS).completed(), undefined);
  });

  void it('unsorted: skips older records, reads on; the bookmark never passes the start of reading less the margin', () => {
    const started = 1_000_000_000_000;
    const cursor = new PartitionCursor(unsorted, bookmark(900_000_000), () => started, started);
    assert.deepEqual([899_999_999, 950_000_000, 999_999_999].map((t) => cursor.observe(record(t))), ['skip', 'emit', 'emit']);
    assert.equal(cursor.completed()?.position, 1_000_000_000 - 300);
  });

  void it('a value in the future is emitted but never becomes the bookmark', () => {
    const cursor = new PartitionCursor(newestFirst, bookmark(100), now, NOW_MS);
    assert.equal(cursor.observe(record(NOW_MS)), 'emit');
    assert.equal(cursor.futureValue, NOW_MS);
    assert.equal(cursor.observe(record(150)), 'emit');
    assert.equal(cursor.completed()?.position, 150);
  });

  void it('records without a cursor value are emitted once, remembered by their key', () => {
    const first = new PartitionCursor(unsorted, undefined, now, NOW_MS);
    assert.equal(first.observe(record(null, { key: ['a'] })), 'emit');
    const saved = first.completed();
    assert.deepEqual(saved?.nullCursorKeys, [['a']]);
    const again = new PartitionCursor(unsorted, bookmark(saved?.position ?? 0, { nullCursorKeys: new Set([JSON.stringify(['a'])]) }), now, NOW_MS);
    assert.equal(again.observe(record(null, { key: ['a'] })), 'skip');
    assert.equal(again.observe(record(null, { key: ['b'] })), 'emit');
    // While such a record can still change, it is read every time.
    assert.equal(again.observe(record(null, { key: ['a'], settled: false })), 'emit');
  });

  void it('oldest first: the bookmark moves after every page; a sequence has no clock', () => {
    const cursor = new PartitionCursor(oldestFirst, bookmark(10), now, NOW_MS);
    assert.equal(cursor.startWire(undefined), 10);
    assert.deepEqual([9, 10, 11].map((n) => cursor.observe(record(n))), ['skip', 'emit', 'emit']);
    assert.equal(cursor.pageBookmark()?.position, 11);
    cursor.observe(record(10 ** 12));
    assert.equal(cursor.pageBookmark()?.position, 10 ** 12, 'a big sequence number is not a time in the future');
  });

  void it('start_date is where a first read starts, in the API form of the cursor', () => {
    const rfc = new PartitionCursor({ field: 'd', type: 'rfc3339', order: 'oldest-first' }, undefined, now, NOW_MS);
    assert.equal(rfc.startWire(1704067200), '2024-01-01T00:00:00.000Z');
    assert.equal(new PartitionCursor(oldestFirst, undefined, now, NOW_MS).startWire(1704067200), undefined);
  });

  void it('a value that cannot be a cursor is reported', () => {
    const cursor = new PartitionCursor(newestFirst, undefined, now, NOW_MS);
    assert.equal(cursor.observe(record('yesterday')), 'invalid');
    assert.equal(cursor.invalidValue, 'yesterday');
  });
});

void describe('parentShowsNothingNew', () => {
  const policy: CursorPolicy = { field: 't', type: 'unix-seconds', order: 'newest-first', unchangedWhenParent: 'p' };
  void it('reads only what the parent shows may have changed', () => {
    assert.equal(parentShowsNothingNew(policy, 99, bookmark(100)), true);
    assert.equal(parentShowsNothingNew(policy, 100, bookmark(100)), true);
    assert.equal(parentShowsNothingNew(policy, 101, bookmark(100)), false);
    assert.equal(parentShowsNothingNew(policy, 99, undefined), false);
    assert.equal(parentShowsNothingNew(policy, 99, bookmark(100, { unsettled: true })), false);
    assert.equal(parentShowsNothingNew(policy, 100, bookmark(100, { fromState: false })), false);
    assert.equal(parentShowsNothingNew(policy, null, bookmark(0)), true);
    assert.equal(parentShowsNothingNew(policy, null, bookmark(100)), false);
    assert.equal(parentShowsNothingNew({ ...policy, unchangedWhenParent: undefined }, 1, bookmark(100)), false);
  });
});

void describe('PartitionCursor: a newest-first listing out of order', () => {
  void it('is read to its end once a newer record follows an older one: older records are skipped, not the end', () => {
    const cursor = new PartitionCursor({ field: 't', type: 'unix-seconds', order: 'newest-first' }, bookmark(100), now, NOW_MS);
    assert.deepEqual([130, 150, 90, 120].map((t) => cursor.observe(record(t))), ['emit', 'emit', 'skip', 'emit']);
    assert.equal(cursor.outOfOrder, true);
    assert.equal(cursor.completed()?.position, 150);
  });
});

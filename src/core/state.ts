// One state model, two envelopes. Per stream, a list of partitions (an organization, or a record of a parent stream),
// each with its bookmark. Singer state carries them the way the Meltano SDK writes partitioned state
// (`partitions` with `context` and `replication_key_value`); Airbyte state the way Airbyte's CDK
// writes per-partition state (`states` with `partition` and `cursor`, plus one global `state` value
// that tools can read at one path). Either shape is accepted on input in either protocol.
import type { Context, KeyValue } from './stream.js';
import { ConfigError } from '../errors.js';

export type { KeyValue };

/** A bookmark as kept in state: Unix seconds or a sequence number, or an RFC 3339 time. */
export type BookmarkValue = number | string;

export interface PartitionState {
  context: Context;
  replication_key: string;
  replication_key_value: BookmarkValue;
  /** Records at the bookmark could still change (an update was running): read them again. */
  unsettled?: true;
  /**
   * Records of this partition without a cursor value (say, never updated yet) already emitted, by their
   * key values outside the context: each is emitted once, not on every run.
   */
  null_cursor_keys?: KeyValue[][];
}

/** A stream's state as Singer (Meltano SDK partitions) writes it. */
export interface SingerStreamState {
  partitions?: PartitionState[];
  /** A stream-wide bookmark, for partitions that have none of their own. */
  replication_key_value?: BookmarkValue;
}

/** A stream's state as Airbyte's CDK writes per-partition state. */
export interface AirbyteStreamState {
  states: AirbytePartitionState[];
  /** The oldest bookmark among the partitions: every partition has been read up to at least it. */
  state?: Record<string, BookmarkValue>;
  /** A stream-wide bookmark from the input, for partitions that have none of their own. */
  replication_key_value?: BookmarkValue;
}

export interface AirbytePartitionState {
  partition: Context;
  cursor: Record<string, BookmarkValue>;
  unsettled?: true;
  null_cursor_keys?: KeyValue[][];
}

export interface SingerState {
  bookmarks: Record<string, unknown>;
}

export function contextKey(context: Context): string {
  return JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]]));
}

export class StateStore {
  constructor(private readonly knownStreams: ReadonlySet<string> = new Set()) {}

  private readonly partitions = new Map<string, Map<string, PartitionState>>();
  private readonly streamDefaults = new Map<string, BookmarkValue>();
  /** Bookmarks of streams this run does not touch, kept as they came (Singer state is one object). */
  private readonly untouched = new Map<string, unknown>();
  /** Serialised size of each stream's partitions, kept up to date on every change. */
  private readonly sizes = new Map<string, number>();
  private readonly partitionSizes = new Map<PartitionState, number>();

  get(stream: string, context: Context): PartitionState | undefined {
    const own = this.partitions.get(stream)?.get(contextKey(context));
    if (own) return own;
    const fallback = this.streamDefaults.get(stream);
    return fallback === undefined ? undefined : { context, replication_key: '', replication_key_value: fallback };
  }

  set(stream: string, partition: PartitionState): void {
    let map = this.partitions.get(stream);
    if (!map) this.partitions.set(stream, (map = new Map<string, PartitionState>()));
    const key = contextKey(partition.context);
    const previous = map.get(key);
    map.set(key, partition);
    const size = JSON.stringify(partition).length + 1;
    this.partitionSizes.set(partition, size);
    this.resize(stream, size - (previous ? this.forget(previous) : 0));
  }

  /** Drops the partitions that match; returns how many went. */
  prune(stream: string, drop: (context: Context) => boolean): number {
    const map = this.partitions.get(stream);
    if (!map) return 0;
    let dropped = 0;
    for (const [key, partition] of map) {
      if (drop(partition.context)) {
        map.delete(key);
        this.resize(stream, -this.forget(partition));
        dropped++;
      }
    }
    return dropped;
  }

  /** Full refresh: the stream keeps no bookmark. */
  clear(stream: string): void {
    for (const partition of this.partitions.get(stream)?.values() ?? []) this.forget(partition);
    this.partitions.delete(stream);
    this.streamDefaults.delete(stream);
    this.untouched.delete(stream);
    this.sizes.delete(stream);
  }

  /** About how many bytes the state of every stream takes when written. */
  approximateBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  private forget(partition: PartitionState): number {
    const size = this.partitionSizes.get(partition) ?? 0;
    this.partitionSizes.delete(partition);
    return size;
  }

  private resize(stream: string, delta: number): void {
    this.sizes.set(stream, (this.sizes.get(stream) ?? 0) + delta);
  }

  /**
   * Replaces bookmarks of a stream: `change` returns a new value, or undefined to keep one. Returns
   * how many changed. (What a value means depends on the stream's cursor, which the engine knows.)
   */
  mapBookmarks(stream: string, change: (value: BookmarkValue, where: string) => BookmarkValue | undefined): number {
    let changed = 0;
    for (const partition of [...(this.partitions.get(stream)?.values() ?? [])]) {
      const value = change(partition.replication_key_value, `state of ${stream} ${contextKey(partition.context)}`);
      if (value === undefined) continue;
      this.set(stream, { ...partition, replication_key_value: value });
      changed++;
    }
    const fallback = this.streamDefaults.get(stream);
    const value = fallback === undefined ? undefined : change(fallback, `state of ${stream} (stream-wide)`);
    if (value !== undefined) {
      this.streamDefaults.set(stream, value);
      changed++;
    }
    return changed;
  }

  singerStreamState(stream: string): SingerStreamState {
    const map = this.partitions.get(stream);
    const state: SingerStreamState = {};
    if (map && map.size > 0) state.partitions = [...map.values()];
    const fallback = this.streamDefaults.get(stream);
    // Once partitions exist, they say it all (see addStream).
    if (fallback !== undefined && !state.partitions) state.replication_key_value = fallback;
    return state;
  }

  airbyteStreamState(stream: string): AirbyteStreamState {
    const states: AirbytePartitionState[] = [];
    let oldest: BookmarkValue | undefined;
    let cursorName: string | undefined;
    for (const p of this.partitions.get(stream)?.values() ?? []) {
      states.push({
        partition: p.context,
        cursor: { [p.replication_key]: p.replication_key_value },
        ...(p.unsettled ? { unsettled: true as const } : {}),
        ...(p.null_cursor_keys ? { null_cursor_keys: p.null_cursor_keys } : {}),
      });
      cursorName ??= p.replication_key;
      // 0 marks an empty partition (nothing to read yet), not a position in time.
      const value = p.replication_key_value;
      if (value !== 0 && (oldest === undefined || value < oldest)) oldest = value;
    }
    const state: AirbyteStreamState = { states };
    if (cursorName && oldest !== undefined) state.state = { [cursorName]: oldest };
    const fallback = this.streamDefaults.get(stream);
    if (fallback !== undefined && states.length === 0) state.replication_key_value = fallback;
    return state;
  }

  singerState(): SingerState {
    const bookmarks: Record<string, unknown> = Object.fromEntries(this.untouched);
    for (const stream of new Set([...this.partitions.keys(), ...this.streamDefaults.keys()])) {
      bookmarks[stream] = this.singerStreamState(stream);
    }
    return { bookmarks };
  }

  /**
   * Accepts a Singer state object, an Airbyte array of STREAM states, `{}` or `[]`. Bookmarks of
   * streams not in `knownStreams` are kept as they came, in Singer state.
   */
  static parse(input: unknown, knownStreams: ReadonlySet<string>, where = 'state'): StateStore {
    const store = new StateStore(knownStreams);
    if (input === null || input === undefined) return store;
    if (Array.isArray(input)) {
      input.forEach((item, index) => store.addAirbyte(item, `${where}[${index}]`));
      return store;
    }
    if (typeof input !== 'object') throw new ConfigError(`${where}: expected a JSON object or array, got ${typeof input}`);
    const object = input as Record<string, unknown>;
    if (Object.keys(object).length === 0) return store;
    if ('singer_state' in object) return StateStore.parse(object.singer_state, knownStreams, `${where}.singer_state`);
    if (object.type === 'STREAM' || object.type === 'STATE') {
      store.addAirbyte(object, where);
      return store;
    }
    if (!('bookmarks' in object)) {
      throw new ConfigError(`${where}: expected a Singer state with 'bookmarks' or an Airbyte array of STREAM states`);
    }
    const bookmarks = object.bookmarks;
    if (typeof bookmarks !== 'object' || bookmarks === null || Array.isArray(bookmarks)) {
      throw new ConfigError(`${where}.bookmarks: expected an object`);
    }
    for (const [stream, value] of Object.entries(bookmarks)) store.addStream(stream, value, `${where}.bookmarks.${stream}`, true);
    return store;
  }

  private addAirbyte(item: unknown, where: string): void {
    if (typeof item !== 'object' || item === null) throw new ConfigError(`${where}: expected an Airbyte state object`);
    let message = item as Record<string, unknown>;
    // A whole STATE message (as a platform log shows it) wraps the state itself.
    if (message.type === 'STATE' && typeof message.state === 'object' && message.state !== null) {
      message = message.state as Record<string, unknown>;
      where = `${where}.state`;
    }
    if (message.type !== 'STREAM') {
      const kind = typeof message.type === 'string' ? message.type : 'untyped';
      throw new ConfigError(`${where}: ${kind} state is not supported; this source writes per-stream (STREAM) state`);
    }
    const stream = message.stream as { stream_descriptor?: { name?: unknown }; stream_state?: unknown } | undefined;
    const name = stream?.stream_descriptor?.name;
    if (typeof name !== 'string') throw new ConfigError(`${where}.stream.stream_descriptor.name: expected a stream name`);
    this.addStream(name, stream?.stream_state ?? {}, `${where}.stream.stream_state`, false);
  }

  private addStream(stream: string, value: unknown, where: string, keepUnknown: boolean): void {
    // Another tool's or a retired stream's bookmark is none of this tap's business: keep it as it came.
    if (!this.knownStreams.has(stream)) {
      if (keepUnknown) this.untouched.set(stream, value);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: expected an object`);
    const state = value as Record<string, unknown>;
    if (keepUnknown) this.untouched.set(stream, state);
    if (state.replication_key_value !== undefined) {
      this.streamDefaults.set(stream, bookmarkValue(state.replication_key_value, `${where}.replication_key_value`));
    }
    if (state.states !== undefined) this.addCdkPartitions(stream, state.states, `${where}.states`);
    else if (state.state !== undefined) this.addCdkGlobal(stream, state.state, `${where}.state`);
    if (state.partitions !== undefined) this.addPartitions(stream, state.partitions, where);
    // A stream-wide value stands for partitions only where there are none of their own: beside them
    // it would also stand for a new partition (a new parent record) whose older records are unread.
    if ((this.partitions.get(stream)?.size ?? 0) > 0) this.streamDefaults.delete(stream);
  }

  private addPartitions(stream: string, partitions: unknown, where: string): void {
    if (!Array.isArray(partitions)) throw new ConfigError(`${where}.partitions: expected an array`);
    partitions.forEach((raw, index) => {
      const at = `${where}.partitions[${index}]`;
      if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${at}: expected an object`);
      const p = raw as Record<string, unknown>;
      // A partition without a bookmark (Meltano writes those for empty partitions) means "from the start".
      if (p.replication_key_value === undefined || p.replication_key_value === null) return;
      this.setParsed(stream, {
        context: contextOf(p.context, `${at}.context`),
        replication_key: typeof p.replication_key === 'string' ? p.replication_key : '',
        replication_key_value: bookmarkValue(p.replication_key_value, `${at}.replication_key_value`),
        unsettled: p.unsettled === true,
        nullCursorKeys: nullCursorKeysOf(p.null_cursor_keys, `${at}.null_cursor_keys`),
      });
    });
  }

  /** Airbyte CDK per-partition entries: `{partition, cursor: {<field>: value}}`. */
  private addCdkPartitions(stream: string, states: unknown, where: string): void {
    if (!Array.isArray(states)) throw new ConfigError(`${where}: expected an array`);
    states.forEach((raw, index) => {
      const at = `${where}[${index}]`;
      if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${at}: expected an object`);
      const p = raw as Record<string, unknown>;
      const cursor = p.cursor;
      if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor)) throw new ConfigError(`${at}.cursor: expected an object`);
      const entries = Object.entries(cursor).filter(([, v]) => v !== null && v !== undefined);
      const first = entries[0];
      if (!first) return;
      if (entries.length > 1) throw new ConfigError(`${at}.cursor: expected one cursor field, got ${entries.map(([k]) => k).join(', ')}`);
      this.setParsed(stream, {
        context: contextOf(p.partition, `${at}.partition`),
        replication_key: first[0],
        replication_key_value: bookmarkValue(first[1], `${at}.cursor.${first[0]}`),
        unsettled: p.unsettled === true,
        nullCursorKeys: nullCursorKeysOf(p.null_cursor_keys, `${at}.null_cursor_keys`),
      });
    });
  }

  /**
   * A global value with no partitions (a hand-written or migrated state) stands for every partition.
   * Beside partitions it is only a summary: a new partition (a new parent record) must not inherit it, or
   * its older history would be skipped.
   */
  private addCdkGlobal(stream: string, global: unknown, where: string): void {
    if (typeof global !== 'object' || global === null || Array.isArray(global)) throw new ConfigError(`${where}: expected an object`);
    const value: unknown = Object.values(global).find((v: unknown) => v !== null && v !== undefined);
    if (value !== undefined) this.streamDefaults.set(stream, bookmarkValue(value, where));
  }

  private setParsed(stream: string, p: { context: Context; replication_key: string; replication_key_value: BookmarkValue; unsettled: boolean; nullCursorKeys: KeyValue[][] | undefined }): void {
    const partition: PartitionState = { context: p.context, replication_key: p.replication_key, replication_key_value: p.replication_key_value };
    if (p.unsettled) partition.unsettled = true;
    if (p.nullCursorKeys) partition.null_cursor_keys = p.nullCursorKeys;
    this.set(stream, partition);
  }
}

function isContext(value: unknown): value is Context {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function contextOf(value: unknown, where: string): Context {
  if (!isContext(value)) throw new ConfigError(`${where}: expected an object of strings`);
  return value;
}

function isKeyList(value: unknown): value is KeyValue[][] {
  return Array.isArray(value) && value.every((key) => Array.isArray(key) && key.every((part) => typeof part === 'string' || typeof part === 'number'));
}

function nullCursorKeysOf(value: unknown, where: string): KeyValue[][] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isKeyList(value)) throw new ConfigError(`${where}: expected a list of key value lists`);
  return value;
}

/**
 * A bookmark as given: a number, or a string of digits (a number), or an RFC 3339 time (kept as text:
 * what it means depends on the stream's cursor, which the engine reads it with).
 */
function bookmarkValue(value: unknown, where: string): BookmarkValue {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  }
  throw new ConfigError(`${where}: expected Unix seconds, a sequence number or an RFC 3339 time, got ${JSON.stringify(value)}`);
}

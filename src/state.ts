// One state model for both protocols: per stream, a list of partitions (an organization, or a stack),
// each with its bookmark, the way the Meltano SDK writes partitioned state. Airbyte carries each
// stream's object as `stream_state`; Singer carries all of them under `bookmarks`.
import { ConfigError } from './errors.js';
import { STREAM_NAMES, type Context } from './streams/types.js';

const KNOWN_STREAMS: ReadonlySet<string> = new Set(STREAM_NAMES);

export interface PartitionState {
  context: Context;
  replication_key: string;
  replication_key_value: number;
  /** Records at the bookmark could still change (an update was running): read them again. */
  unsettled?: true;
}

export interface StreamState {
  partitions?: PartitionState[];
  /** A stream-wide bookmark, accepted on input for partitions that have none of their own. */
  replication_key_value?: number;
}

export interface SingerState {
  bookmarks: Record<string, unknown>;
}

export interface AirbyteStreamStateInput {
  type: 'STREAM';
  stream: { stream_descriptor: { name: string; namespace?: string }; stream_state?: StreamState };
}

export function contextKey(context: Context): string {
  return JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]]));
}

export class StateStore {
  private readonly partitions = new Map<string, Map<string, PartitionState>>();
  private readonly streamDefaults = new Map<string, number>();
  /** Bookmarks of streams this run does not touch, kept as they came (Singer state is one object). */
  private readonly untouched = new Map<string, unknown>();

  get(stream: string, context: Context): PartitionState | undefined {
    const own = this.partitions.get(stream)?.get(contextKey(context));
    if (own) return own;
    const fallback = this.streamDefaults.get(stream);
    return fallback === undefined ? undefined : { context, replication_key: '', replication_key_value: fallback };
  }

  set(stream: string, partition: PartitionState): void {
    let map = this.partitions.get(stream);
    if (!map) this.partitions.set(stream, (map = new Map<string, PartitionState>()));
    map.set(contextKey(partition.context), partition);
  }

  /** Drops the partitions that match; returns how many went. */
  prune(stream: string, drop: (context: Context) => boolean): number {
    const map = this.partitions.get(stream);
    if (!map) return 0;
    let dropped = 0;
    for (const [key, partition] of map) {
      if (drop(partition.context)) {
        map.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Full refresh: the stream keeps no bookmark. */
  clear(stream: string): void {
    this.partitions.delete(stream);
    this.streamDefaults.delete(stream);
    this.untouched.delete(stream);
  }

  streamState(stream: string): StreamState {
    const map = this.partitions.get(stream);
    const state: StreamState = {};
    if (map && map.size > 0) state.partitions = [...map.values()];
    const fallback = this.streamDefaults.get(stream);
    if (fallback !== undefined) state.replication_key_value = fallback;
    return state;
  }

  singerState(): SingerState {
    const bookmarks: Record<string, unknown> = Object.fromEntries(this.untouched);
    for (const stream of new Set([...this.partitions.keys(), ...this.streamDefaults.keys()])) {
      bookmarks[stream] = this.streamState(stream);
    }
    return { bookmarks };
  }

  /** Accepts a Singer state object, an Airbyte array of STREAM states, `{}` or `[]`. */
  static parse(input: unknown, where = 'state'): StateStore {
    const store = new StateStore();
    if (input === null || input === undefined) return store;
    if (Array.isArray(input)) {
      input.forEach((item, index) => store.addAirbyte(item, `${where}[${index}]`));
      return store;
    }
    if (typeof input !== 'object') throw new ConfigError(`${where}: expected a JSON object or array, got ${typeof input}`);
    const object = input as Record<string, unknown>;
    if (Object.keys(object).length === 0) return store;
    if ('singer_state' in object) return StateStore.parse(object.singer_state, `${where}.singer_state`);
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
    if (!KNOWN_STREAMS.has(stream)) {
      if (keepUnknown) this.untouched.set(stream, value);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: expected an object`);
    const state = value as Record<string, unknown>;
    if (keepUnknown) this.untouched.set(stream, state);
    if (state.replication_key_value !== undefined) {
      this.streamDefaults.set(stream, bookmarkValue(state.replication_key_value, `${where}.replication_key_value`));
    }
    if (state.partitions === undefined) return;
    if (!Array.isArray(state.partitions)) throw new ConfigError(`${where}.partitions: expected an array`);
    state.partitions.forEach((raw, index) => {
      const at = `${where}.partitions[${index}]`;
      if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${at}: expected an object`);
      const p = raw as Record<string, unknown>;
      const context = p.context;
      if (typeof context !== 'object' || context === null || Array.isArray(context) || !Object.values(context).every((v) => typeof v === 'string')) {
        throw new ConfigError(`${at}.context: expected an object of strings`);
      }
      // A partition without a bookmark (Meltano writes those for empty partitions) means "from the start".
      if (p.replication_key_value === undefined || p.replication_key_value === null) return;
      const partition: PartitionState = {
        context: context as Context,
        replication_key: typeof p.replication_key === 'string' ? p.replication_key : '',
        replication_key_value: bookmarkValue(p.replication_key_value, `${at}.replication_key_value`),
      };
      if (p.unsettled === true) partition.unsettled = true;
      this.set(stream, partition);
    });
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Bookmarks are Unix seconds; an RFC 3339 string (from other tools) is accepted too. */
function bookmarkValue(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    // Date.parse alone takes strings like 'Jan 5' or '-1' for dates: insist on RFC 3339.
    const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new ConfigError(`${where}: expected Unix seconds, got ${JSON.stringify(value)}`);
}

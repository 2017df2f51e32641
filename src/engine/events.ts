// What the sync engine produces, independent of protocol; the Airbyte and Singer writers turn these into lines.
import type { LogLevel } from '../logger.js';
import type { JsonSchema } from '../schemas.js';
import type { StateStore } from '../state.js';
import type { AnyRecord, StreamName } from '../streams/types.js';

export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export type SyncEvent =
  | { kind: 'status'; stream: StreamName; status: StreamStatus; schema: JsonSchema; keyProperties: readonly string[]; replicationKey?: string }
  /** `json` is the record already serialised, inside its partition, so a record that cannot be written fails only there. */
  | { kind: 'record'; stream: StreamName; record: AnyRecord; json: string }
  /** The stream's bookmarks changed (or the stream ended): everything it covers has been emitted. */
  | { kind: 'state'; stream: StreamName; state: StateStore }
  | { kind: 'error'; stream: StreamName; error: unknown; message: string }
  /** How many records the stream is expected to hold in all, as far as is known so far. */
  | { kind: 'estimate'; stream: StreamName; rows: number }
  | { kind: 'log'; level: LogLevel; message: string };

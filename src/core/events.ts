// What the sync engine produces, independent of protocol; the Airbyte and Singer writers turn these into lines.
import type { LogLevel } from '../io/logger.js';
import type { JsonSchema } from '../streams/schemas.js';
import type { StateStore } from './state.js';
import type { AnyRecord } from './stream.js';

export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export type SyncEvent =
  | { kind: 'status'; stream: string; status: StreamStatus; schema: JsonSchema; keyProperties: readonly string[]; replicationKey?: string }
  /** `json` is the record already serialised, inside its partition, so a record that cannot be written fails only there. */
  | { kind: 'record'; stream: string; record: AnyRecord; json: string }
  /** The stream's bookmarks changed (or the stream ended): everything it covers has been emitted. */
  | { kind: 'state'; stream: string; state: StateStore }
  | { kind: 'error'; stream: string; error: unknown; message: string }
  /** How many records the stream is expected to hold in all, as far as is known so far. */
  | { kind: 'estimate'; stream: string; rows: number }
  | { kind: 'log'; level: LogLevel; message: string };

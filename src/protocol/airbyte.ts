// The Airbyte protocol messages this source writes (a subset of airbyte_protocol.yaml).
import type { FailureType } from '../errors.js';

export interface StreamDescriptor {
  name: string;
  namespace?: string;
}

export type AirbyteMessage =
  | { type: 'SPEC'; spec: Record<string, unknown> }
  | { type: 'CONNECTION_STATUS'; connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string } }
  | { type: 'CATALOG'; catalog: { streams: unknown[] } }
  | { type: 'RECORD'; record: { stream: string; data: Record<string, unknown>; emitted_at: number } }
  | {
      type: 'STATE';
      state: { type: 'STREAM'; stream: { stream_descriptor: StreamDescriptor; stream_state: Record<string, unknown> }; sourceStats: { recordCount: number } };
    }
  | { type: 'LOG'; log: { level: 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE'; message: string; stack_trace?: string } }
  | { type: 'TRACE'; trace: AirbyteTrace };

export type AirbyteTrace =
  | {
      type: 'STREAM_STATUS';
      emitted_at: number;
      stream_status: { stream_descriptor: StreamDescriptor; status: 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE'; reasons?: unknown[] };
    }
  | {
      type: 'ERROR';
      emitted_at: number;
      error: { message: string; internal_message?: string; stack_trace?: string; failure_type: FailureType; stream_descriptor?: StreamDescriptor };
    }
  | { type: 'ESTIMATE'; emitted_at: number; estimate: { name: string; type: 'STREAM' | 'SYNC'; namespace?: string; row_estimate?: number; byte_estimate?: number } };

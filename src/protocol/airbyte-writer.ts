// Turns engine events into Airbyte messages, one JSON line each.
import type { SyncEvent } from '../core/events.js';
import { failureTypeOf, messageOf, type FailureType } from '../errors.js';
import type { Logger } from '../io/logger.js';
import type { LineSink } from '../io/output.js';
import type { AirbyteMessage, StreamDescriptor } from './airbyte.js';

export function airbyteErrorTrace(message: string, error: unknown, options: { stream?: string; failureType?: FailureType; debug: boolean; now?: number }): AirbyteMessage {
  const descriptor: StreamDescriptor | undefined = options.stream ? { name: options.stream } : undefined;
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: options.now ?? Date.now(),
      error: {
        message,
        internal_message: messageOf(error),
        ...(options.debug && error instanceof Error && error.stack ? { stack_trace: error.stack } : {}),
        failure_type: options.failureType ?? failureTypeOf(error),
        ...(descriptor ? { stream_descriptor: descriptor } : {}),
      },
    },
  };
}

export class AirbyteWriter {
  /** Records per stream since that stream's last STATE: Airbyte's sourceStats.recordCount. */
  private readonly sinceState = new Map<string, number>();

  constructor(
    private readonly sink: LineSink,
    private readonly logger: Logger,
  ) {}

  /** Out of band, while a request waits: the stream lives, held back by the API's rate limit. */
  rateLimited(stream: string, quotaReset: number): void {
    const message: AirbyteMessage = {
      type: 'TRACE',
      trace: {
        type: 'STREAM_STATUS',
        emitted_at: Date.now(),
        stream_status: { stream_descriptor: { name: stream }, status: 'RUNNING', reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: Math.round(quotaReset) } }] },
      },
    };
    this.sink.writeNow(JSON.stringify(message));
  }

  message(message: AirbyteMessage): void | Promise<void> {
    return this.sink.write(JSON.stringify(message));
  }

  write(event: SyncEvent): void | Promise<void> {
    switch (event.kind) {
      case 'record':
        this.sinceState.set(event.stream, (this.sinceState.get(event.stream) ?? 0) + 1);
        // Built as text: the hot path, and the one message with no need of a wrapper object.
        return this.sink.write(`{"type":"RECORD","record":{"stream":"${event.stream}","data":${event.json},"emitted_at":${Date.now()}}}`);
      case 'state': {
        const recordCount = this.sinceState.get(event.stream) ?? 0;
        this.sinceState.set(event.stream, 0);
        return this.message({
          type: 'STATE',
          state: {
            type: 'STREAM',
            stream: { stream_descriptor: { name: event.stream }, stream_state: { ...event.state.airbyteStreamState(event.stream) } },
            sourceStats: { recordCount },
          },
        });
      }
      case 'status':
        return this.message({
          type: 'TRACE',
          trace: { type: 'STREAM_STATUS', emitted_at: Date.now(), stream_status: { stream_descriptor: { name: event.stream }, status: event.status } },
        });
      case 'error':
        this.logger.error(event.message);
        return this.message(airbyteErrorTrace(event.message, event.error, { stream: event.stream, debug: this.logger.level === 'debug' }));
      case 'log':
        this.logger[event.level](event.message);
        return;
      case 'estimate':
        return this.message({ type: 'TRACE', trace: { type: 'ESTIMATE', emitted_at: Date.now(), estimate: { name: event.stream, type: 'STREAM', row_estimate: event.rows } } });
    }
  }
}

// Turns engine events into Singer messages: SCHEMA before a stream's first RECORD, STATE after the
// data it covers, diagnostics on stderr.
import type { SyncEvent } from '../core/events.js';
import type { Logger } from '../io/logger.js';
import type { LineSink } from '../io/output.js';
import type { SingerMessage } from './singer.js';
import type { StateStore } from '../core/state.js';

export class SingerWriter {
  private lastState: string | undefined;
  private wroteSinceState = true;

  constructor(
    private readonly sink: LineSink,
    private readonly logger: Logger,
  ) {}

  private message(message: SingerMessage): void | Promise<void> {
    return this.sink.write(JSON.stringify(message));
  }

  write(event: SyncEvent): void | Promise<void> {
    switch (event.kind) {
      case 'status':
        if (event.status !== 'STARTED') return;
        this.wroteSinceState = true;
        return this.message({
          type: 'SCHEMA',
          stream: event.stream,
          schema: event.schema,
          key_properties: [...event.keyProperties],
          ...(event.replicationKey ? { bookmark_properties: [event.replicationKey] } : {}),
        });
      case 'record':
        this.wroteSinceState = true;
        // Built as text around the record's own JSON, serialised once inside its partition.
        return this.sink.write(`{"type":"RECORD","stream":${JSON.stringify(event.stream)},"record":${event.json},"time_extracted":"${new Date().toISOString()}"}`);
      case 'state': {
        const value = event.state.singerState();
        const text = JSON.stringify(value);
        // The same state twice in a row says nothing new.
        if (text === this.lastState && !this.wroteSinceState) return;
        this.lastState = text;
        this.wroteSinceState = false;
        return this.sink.write(`{"type":"STATE","value":${text}}`);
      }
      case 'error':
        this.logger.error(event.message);
        return;
      case 'log':
        this.logger[event.level](event.message);
        return;
      case 'estimate':
        // Singer has no estimate message.
        return;
    }
  }

  /** Singer targets keep the last STATE: make sure the run ends with one. */
  async finish(state: StateStore): Promise<void> {
    if (!this.wroteSinceState && this.lastState !== undefined) return;
    const text = JSON.stringify(state.singerState());
    this.lastState = text;
    this.wroteSinceState = false;
    await this.sink.write(`{"type":"STATE","value":${text}}`);
  }
}

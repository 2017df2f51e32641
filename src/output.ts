// The one place that writes protocol lines: it redacts, respects backpressure, and turns a closed
// reader (EPIPE) into a typed error instead of a crash.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { OutputClosedError } from './errors.js';
import type { Redactor } from './redact.js';

export class LineSink {
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly redactor: Redactor,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw error;
    });
  }

  get isClosed(): boolean {
    return this.closed || this.stream.destroyed;
  }

  /** Writes one line and waits while the reader is slower than the tap. */
  async write(line: string): Promise<void> {
    if (this.isClosed) throw new OutputClosedError();
    if (!this.stream.write(this.redactor.redact(line) + '\n')) {
      await this.drained();
      if (this.isClosed) throw new OutputClosedError();
    }
  }

  /** Waits for the reader to catch up; an EPIPE while waiting counts as closed, not as a crash. */
  private async drained(): Promise<void> {
    try {
      await Promise.race([once(this.stream, 'drain'), once(this.stream, 'close')]);
    } catch (error) {
      if (!this.isClosed) throw error;
    }
  }

  /** For rare lines (logs) written from synchronous code: no wait, small and bounded in number. */
  writeNow(line: string): void {
    if (this.isClosed) return;
    this.stream.write(this.redactor.redact(line) + '\n');
  }

  /** Resolves once everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.isClosed || this.stream.writableLength === 0) return;
    await this.drained();
  }
}

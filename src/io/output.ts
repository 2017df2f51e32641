// The one place that writes protocol lines: it redacts, batches lines into large writes (one write
// per line costs a system call each on a pipe), respects backpressure, and turns a closed reader
// (EPIPE) into a typed error instead of a crash.
import type { Writable } from 'node:stream';
import { OutputClosedError } from '../errors.js';
import type { Redactor } from './redact.js';

/** Characters gathered before a write; the event loop going idle also flushes. */
const BATCH_CHARS = 64 * 1024;

export class LineSink {
  private closed = false;
  private pending: string[] = [];
  private pendingChars = 0;
  private flushScheduled = false;
  private draining: Promise<void> | undefined;
  /** Chunks handed to the stream whose write callback has not run yet. */
  private chunksInFlight = 0;
  private flushWaiters: (() => void)[] = [];

  constructor(
    private readonly stream: Writable,
    private readonly redactor: Redactor,
  ) {
    // Whatever breaks the stream (EPIPE, a destroyed socket, a full disk), nothing more can be written:
    // the next write throws OutputClosedError, which ends the run with one line instead of a crash, and
    // no flush waits for callbacks that may never come.
    const markClosed = (): void => {
      this.closed = true;
      this.wakeFlushWaiters();
    };
    stream.on('error', markClosed);
    stream.on('close', markClosed);
  }

  get isClosed(): boolean {
    return this.closed || this.stream.destroyed;
  }

  /**
   * Queues one line. Returns a promise only when the reader is behind: await it, and the tap slows
   * down to the reader's pace; otherwise returns nothing, so the hot path allocates no promise.
   */
  write(line: string): void | Promise<void> {
    if (this.isClosed) throw new OutputClosedError();
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.stream.writableNeedDrain) return this.waitForDrain();
    if (this.pendingChars >= BATCH_CHARS) {
      this.writePending();
      if (this.stream.writableNeedDrain) return this.waitForDrain();
      return;
    }
    this.scheduleFlush();
  }

  /** For rare lines (logs) written from synchronous code: queued in order with the rest, no wait. */
  writeNow(line: string): void {
    if (this.isClosed) return;
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    this.scheduleFlush();
  }

  /** Resolves once everything written so far has been handed to the OS, or the stream is broken. */
  async flush(): Promise<void> {
    this.writePending();
    if (this.chunksInFlight === 0 || this.isClosed) return;
    // Not 'drain': Node emits it only after a write() returned false, and a last chunk smaller than
    // the high-water mark, queued behind a full pipe, never makes write() return false.
    await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      // A full stream takes no more: the lines wait for the drain.
      if (this.stream.writableNeedDrain) void this.waitForDrain().catch(() => undefined);
      else this.writePending();
    });
  }

  private writePending(): void {
    if (this.pending.length === 0 || this.isClosed) return;
    const chunk = this.redactor.redact(this.pending.join('\n') + '\n');
    this.pending = [];
    this.pendingChars = 0;
    this.chunksInFlight += 1;
    this.stream.write(chunk, this.chunkWritten);
  }

  /** A write callback; they run in write order, so the last one means everything has been handed over. */
  private readonly chunkWritten = (): void => {
    this.chunksInFlight -= 1;
    if (this.chunksInFlight === 0) this.wakeFlushWaiters();
  };

  private wakeFlushWaiters(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const wake of waiters) wake();
  }

  /** One wait shared by every caller while the stream is full. */
  private waitForDrain(): Promise<void> {
    this.draining ??= this.drained().then(() => {
      this.draining = undefined;
      if (this.isClosed) throw new OutputClosedError();
      this.writePending();
    });
    return this.draining;
  }

  /** Waits for the reader to catch up; a broken stream ends the wait too (and marks the sink closed). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }
}

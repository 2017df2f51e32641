// Logging goes to stderr (Singer) or into Airbyte LOG messages on stdout; never anywhere else.
import type { LineSink } from './output.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'debug' || v === 'info' || v === 'error') return v;
  if (v === 'warn' || v === 'warning') return 'warn';
  return 'info';
}

export interface Logger {
  readonly level: LogLevel;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

abstract class LevelledLogger implements Logger {
  constructor(readonly level: LogLevel) {}
  protected abstract emit(level: LogLevel, message: string): void;
  private log(level: LogLevel, message: string): void {
    if (rank[level] >= rank[this.level]) this.emit(level, message);
  }
  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
}

export type LogFormat = 'text' | 'json';

export function parseLogFormat(value: string | undefined): LogFormat {
  return (value ?? '').trim().toLowerCase() === 'json' ? 'json' : 'text';
}

/** Lines on stderr, as Singer taps log: `LEVEL message`, or one JSON object per line on request. */
export class StderrLogger extends LevelledLogger {
  /** Set while a live progress line is on the terminal: each log line first erases it. */
  clearLineFirst = false;

  constructor(
    level: LogLevel,
    private readonly sink: LineSink,
    private readonly format: LogFormat = 'text',
  ) {
    super(level);
  }
  protected emit(level: LogLevel, message: string): void {
    const line = this.format === 'json' ? JSON.stringify({ time: new Date().toISOString(), level, message }) : `${level.toUpperCase()} ${message}`;
    this.sink.writeNow(this.clearLineFirst ? `\r\x1b[K${line}` : line);
  }
}

const airbyteLevel: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** Airbyte LOG messages on stdout, the only place the platform reads a source's logs from. */
export class AirbyteLogger extends LevelledLogger {
  constructor(
    level: LogLevel,
    private readonly sink: LineSink,
  ) {
    super(level);
  }
  protected emit(level: LogLevel, message: string): void {
    this.sink.writeNow(JSON.stringify({ type: 'LOG', log: { level: airbyteLevel[level], message } }));
  }
}

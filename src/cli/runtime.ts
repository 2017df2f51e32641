// What every command gets: the two output channels (redacted), a logger, and the process environment.
import type { Writable } from 'node:stream';
import { TOKEN_ENV } from '../config/token-env.js';
import { AirbyteLogger, parseLogFormat, parseLogLevel, StderrLogger, type Logger } from '../io/logger.js';
import { LineSink } from '../io/output.js';
import { Redactor } from '../io/redact.js';

export type Protocol = 'airbyte' | 'singer';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export interface Runtime {
  protocol: Protocol;
  /** stderr itself, for the live progress line on a terminal. */
  stderr: Writable;
  out: LineSink;
  err: LineSink;
  logger: Logger;
  redactor: Redactor;
  env: NodeJS.ProcessEnv;
  debug: boolean;
}

export function createRuntime(io: Io, protocol: Protocol, debugFlag: boolean): Runtime {
  const redactor = new Redactor([io.env[TOKEN_ENV]?.trim()]);
  const out = new LineSink(io.stdout, redactor);
  const err = new LineSink(io.stderr, redactor);
  const level = debugFlag ? 'debug' : parseLogLevel(io.env.LOG_LEVEL);
  const logger = protocol === 'airbyte' ? new AirbyteLogger(level, out) : new StderrLogger(level, err, parseLogFormat(io.env.LOG_FORMAT));
  return { protocol, stderr: io.stderr, out, err, logger, redactor, env: io.env, debug: level === 'debug' };
}

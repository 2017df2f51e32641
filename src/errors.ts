// Typed errors: each carries the Airbyte failure type it maps to, so every layer reports it the same way.

export type FailureType = 'config_error' | 'system_error' | 'transient_error';

export class TapError extends Error {
  readonly failureType: FailureType;
  constructor(message: string, failureType: FailureType, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.failureType = failureType;
  }
}

/** Bad config, catalog, state or arguments: the user must change something. */
export class ConfigError extends TapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'config_error', options);
  }
}

/** A failed request to the Pulumi Cloud API, after any retries. */
export class ApiError extends TapError {
  readonly status: number | undefined;
  constructor(args: { message: string; status?: number; failureType: FailureType; cause?: unknown }) {
    super(args.message, args.failureType, { cause: args.cause });
    this.status = args.status;
  }
}

/** The API's paging misbehaved (a repeated continuation token, pages past the total). */
export class PagingError extends TapError {
  constructor(message: string) {
    super(message, 'system_error');
  }
}

/**
 * An API item that cannot become a record without inventing data: a key or cursor that is missing or
 * not exactly representable. Thrown while a page is turned into records; it fails that partition only.
 */
export class RecordError extends TapError {
  constructor(message: string) {
    super(message, 'system_error');
  }
}

/** The sync was stopped before it finished (a signal, or a failure that makes going on pointless). */
export class InterruptedError extends TapError {
  constructor(message: string, failureType: FailureType = 'transient_error') {
    super(message, failureType);
  }
}

/** stdout was closed by the reader (EPIPE): nothing more can be delivered. */
export class OutputClosedError extends TapError {
  constructor() {
    super('stdout was closed by the reading process', 'system_error');
  }
}

export function failureTypeOf(error: unknown): FailureType {
  return error instanceof TapError ? error.failureType : 'system_error';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

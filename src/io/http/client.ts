// The Pulumi Cloud HTTP client: headers, retries with backoff, responses checked before they are
// trusted, and every failure turned into one readable line. Everything that talks to the API goes
// through PulumiClient.getJson.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { ApiError, type FailureType } from '../../errors.js';
import type { Logger } from '../logger.js';
import { describeErrorBody, retryAfterMs, shorten } from './responses.js';
import { TransportError, transportGet, type TransportResponse } from './transport.js';

export interface HttpClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  maxAttempts: number;
  maxSockets: number;
  /** Largest response body accepted, after decompression. */
  maxResponseBytes: number;
  userAgent: string;
  logger: Logger;
  /** Masks secrets in text taken from a response, before it is shortened into a message. */
  redact: (text: string) => string;
  /** First backoff delay; doubles per attempt. */
  retryBaseMs: number;
}

export type Query = Record<string, string | number | undefined>;

export interface HttpStats {
  requests: number;
  retries: number;
  /** Milliseconds during which at least one request was waiting after a 429 (waits side by side count once). */
  rateLimitWaitMs: number;
}

/** Told before each wait between attempts, so callers can show that the sync still lives. */
export interface RetryNotice {
  status: number | undefined;
  delayMs: number;
  attempt: number;
}

/** Told after every attempt, for request metrics. */
export interface AttemptNotice {
  status: number | undefined;
  durationMs: number;
  ok: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onRetry?: (notice: RetryNotice) => void;
  onAttempt?: (notice: AttemptNotice) => void;
  /** Checks a parsed 2xx body; a problem makes the answer malformed, which is retried like a 5xx. */
  accept?: (body: unknown) => string | undefined;
  maxAttempts?: number;
}

/** Upper bound for any single wait, including a server's Retry-After (as the Pulumi CLI does). */
const RETRY_MAX_MS = 30_000;
const METHOD = 'GET';

// Names that will not resolve on the next attempt either: retrying only delays the one useful line.
const NOT_WORTH_RETRYING = new Set(['ENOTFOUND', 'ERR_INVALID_CHAR', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/**
 * A path as the API names it: a segment made only of dots (a stack called '.' or '..') is data,
 * not a step up the path, so it is percent-encoded and sent as is.
 */
export function pathWithDataSegments(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment !== '' && /^\.+$/.test(segment) ? '%2E'.repeat(segment.length) : segment))
    .join('/');
}

export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

type Attempt = { ok: true; body: unknown } | { ok: false; error: ApiError; retryAfter?: number };

export class PulumiClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, rateLimitWaitMs: 0 };
  private readonly origin: URL;
  /** A base URL may carry a path prefix (a self-hosted API behind a reverse proxy). */
  private readonly basePath: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly retryBaseMs: number;
  /** Requests waiting on a rate limit right now, and since when one has been. */
  private rateLimited = 0;
  private rateLimitedSince = 0;

  constructor(private readonly options: HttpClientOptions) {
    const base = new URL(options.baseUrl);
    this.origin = new URL(base.origin);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.retryBaseMs = options.retryBaseMs;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.agent = base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.headers = {
      authorization: `token ${options.token}`,
      accept: 'application/vnd.pulumi+8',
      'content-type': 'application/json',
      'user-agent': options.userAgent,
      'accept-encoding': 'gzip',
    };
  }

  /** GET a JSON document, retrying what is worth retrying; throws ApiError otherwise. */
  getJson<T>(path: string, query: Query = {}, options: RequestOptions = {}): Promise<T> {
    const requestPath = this.basePath + pathWithDataSegments(path);
    return this.send<T>(requestPath + queryString(query), `${METHOD} ${requestPath}`, options);
  }

  /**
   * GET a URL the API gave (a next page): on the API's own origin only, so the token goes nowhere
   * else; a relative one is read against the base URL.
   */
  getUrl<T>(location: string, options: RequestOptions = {}): Promise<T> {
    let url: URL;
    try {
      url = new URL(location, `${this.options.baseUrl}/`);
    } catch {
      return Promise.reject(new ApiError({ message: `the API named a next page that is not a URL: ${shorten(this.options.redact(location))}`, failureType: 'system_error' }));
    }
    if (url.origin !== this.origin.origin) {
      return Promise.reject(new ApiError({ message: `the API named a next page on another origin (${shorten(this.options.redact(url.origin))}); it is not followed, so the token stays with ${this.origin.origin}`, failureType: 'system_error' }));
    }
    return this.send<T>(url.pathname + url.search, `${METHOD} ${url.pathname}`, options);
  }

  private async send<T>(pathAndQuery: string, where: string, options: RequestOptions): Promise<T> {
    const { signal } = options;
    const maxAttempts = options.maxAttempts ?? this.options.maxAttempts;
    if (signal?.aborted) throw new ApiError({ message: `${where} was not sent: the sync is stopping`, failureType: 'transient_error' });
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt(pathAndQuery, where, options);
      options.onAttempt?.({ status: outcome.ok ? 200 : outcome.error.status, durationMs: performance.now() - started, ok: outcome.ok });
      if (outcome.ok) return outcome.body as T;
      const { error, retryAfter } = outcome;
      const retriable = error.failureType === 'transient_error';
      if (!retriable || attempt >= maxAttempts || signal?.aborted) {
        if (retriable && attempt > 1) this.options.logger.warn(`${error.message}; giving up after ${attempt} attempts`);
        throw error;
      }
      const backoff = Math.min(RETRY_MAX_MS, this.retryBaseMs * 2 ** (attempt - 1));
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const delay = retryAfter === undefined ? jittered : Math.min(RETRY_MAX_MS, retryAfter);
      this.stats.retries++;
      this.options.logger.warn(`${error.message} (attempt ${attempt} of ${maxAttempts}); retrying in ${(delay / 1000).toFixed(1)} s`);
      options.onRetry?.({ status: error.status, delayMs: delay, attempt });
      const rateLimited = error.status === 429;
      if (rateLimited && this.rateLimited++ === 0) this.rateLimitedSince = performance.now();
      try {
        await sleepFor(delay, undefined, signal ? { signal } : {});
      } finally {
        // What was waited, not what was planned (a stop cuts a wait short), and overlapping waits once.
        if (rateLimited && --this.rateLimited === 0) this.stats.rateLimitWaitMs += performance.now() - this.rateLimitedSince;
      }
    }
  }

  private async attempt(pathAndQuery: string, where: string, options: RequestOptions): Promise<Attempt> {
    this.stats.requests++;
    let response: TransportResponse;
    try {
      response = await transportGet({
        origin: this.origin,
        path: pathAndQuery,
        headers: this.headers,
        agent: this.agent,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxResponseBytes,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      return { ok: false, error: this.transportFailure(error, where) };
    }
    const status = response.status;
    const requestIdHeader = response.headers['x-pulumi-request-id'];
    const requestId = Array.isArray(requestIdHeader) ? requestIdHeader[0] : requestIdHeader;
    const idNote = requestId ? ` (request id ${shorten(this.options.redact(requestId), 80)})` : '';
    const fail = (message: string, failureType: FailureType, retryAfter?: number): Attempt => ({
      ok: false,
      error: new ApiError({ message: `${where} ${message}${idNote}`, status, failureType }),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
    if (status >= 200 && status < 300) {
      let body: unknown = null;
      // 204 No Content is the API's "nothing" (a usage summary without data): no body to parse.
      if (status !== 204) {
        try {
          body = JSON.parse(response.body);
        } catch {
          return fail(`answered ${status} with a body that is not complete JSON`, 'transient_error');
        }
      }
      const problem = options.accept?.(body);
      // A proxy or a server in trouble can send a well-formed but wrong document: worth another try.
      return problem === undefined ? { ok: true, body } : fail(`answered ${status} with a malformed response: ${problem}`, 'transient_error');
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.location ?? '(no location)';
      return fail(`was redirected (${status}) to ${shorten(this.options.redact(location))}; redirects are not followed so the token stays with ${this.origin.origin}`, 'system_error');
    }
    const detail = describeErrorBody(this.options.redact(response.body));
    const failureType: FailureType = status === 429 || status >= 500 ? 'transient_error' : status === 401 || status === 403 || status === 404 ? 'config_error' : 'system_error';
    const retryAfter: string | undefined = response.headers['retry-after'];
    return fail(`failed: ${status}${detail ? ` ${detail}` : ''}`, failureType, retryAfterMs(retryAfter, Date.now()));
  }

  private transportFailure(error: unknown, where: string): ApiError {
    if (!(error instanceof TransportError)) {
      return new ApiError({ message: `${where} failed: ${error instanceof Error ? error.message : String(error)}`, failureType: 'system_error', cause: error });
    }
    const reach = `cannot reach ${this.origin.origin}`;
    switch (error.failure) {
      case 'too-large':
        return new ApiError({ message: `${where} failed: ${error.message} (max_response_mb); not retried`, failureType: 'system_error', cause: error });
      case 'bad-encoding':
        return new ApiError({ message: `${where} failed: ${error.message}`, failureType: 'transient_error', cause: error });
      case 'network': {
        const final = error.code !== undefined && NOT_WORTH_RETRYING.has(error.code);
        return new ApiError({ message: `${where} failed: ${reach}: ${shorten(this.options.redact(error.message))}`, failureType: final ? 'config_error' : 'transient_error', cause: error });
      }
      case 'timeout':
      case 'aborted':
        return new ApiError({ message: `${where} failed: ${reach}: ${error.message}`, failureType: 'transient_error', cause: error });
    }
  }
}

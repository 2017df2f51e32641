// The Pulumi Cloud HTTP client: headers, timeouts, retries with backoff, and error bodies turned into
// one readable line. Everything that talks to the API goes through PulumiClient.getJson.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleepFor } from 'node:timers/promises';
import got, { RequestError, type Got } from 'got';
import { ApiError, type FailureType } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeErrorBody, retryAfterMs, shorten } from './responses.js';

export interface HttpClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  maxAttempts: number;
  maxSockets: number;
  userAgent: string;
  logger: Logger;
  /** First backoff delay; doubles per attempt. */
  retryBaseMs?: number;
  /** Upper bound for any single wait, including a server's Retry-After. */
  retryMaxMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type Query = Record<string, string | number | undefined>;

export interface HttpStats {
  requests: number;
  retries: number;
  /** Milliseconds spent waiting after 429 answers. */
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
}


export class PulumiClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, rateLimitWaitMs: 0 };
  private readonly got: Got;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: HttpClientOptions) {
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.got = got.extend({
      headers: {
        authorization: `token ${options.token}`,
        accept: 'application/vnd.pulumi+8',
        'content-type': 'application/json',
        'user-agent': options.userAgent,
        'accept-encoding': 'gzip',
      },
      agent: { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) },
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      // A redirect could carry the token to another origin; the API has no reason to redirect.
      followRedirect: false,
      throwHttpErrors: false,
      responseType: 'text',
      decompress: true,
    });
  }

  /** GET a JSON document, retrying what is worth retrying; throws ApiError otherwise. */
  async getJson<T>(path: string, query: Query = {}, options: RequestOptions = {}): Promise<T> {
    const { signal } = options;
    const url = new URL(this.options.baseUrl + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const where = `GET ${path}`;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt<T>(url, where, signal);
      options.onAttempt?.({ status: outcome.ok ? 200 : outcome.error.status, durationMs: performance.now() - started, ok: outcome.ok });
      if (outcome.ok) return outcome.body;
      const { error, retryAfter } = outcome;
      const retriable = error.failureType === 'transient_error';
      if (!retriable || attempt >= this.options.maxAttempts || signal?.aborted) {
        if (retriable && attempt > 1) this.options.logger.warn(`${error.message}; giving up after ${attempt} attempts`);
        throw error;
      }
      const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1));
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const delay = retryAfter === undefined ? jittered : Math.min(this.retryMaxMs, retryAfter);
      this.stats.retries++;
      if (error.status === 429) this.stats.rateLimitWaitMs += delay;
      this.options.logger.warn(`${error.message} (attempt ${attempt} of ${this.options.maxAttempts}); retrying in ${(delay / 1000).toFixed(1)} s`);
      options.onRetry?.({ status: error.status, delayMs: delay, attempt });
      await this.sleep(delay, signal);
    }
  }

  private async attempt<T>(url: URL, where: string, signal: AbortSignal | undefined): Promise<{ ok: true; body: T } | { ok: false; error: ApiError; retryAfter?: number }> {
    this.stats.requests++;
    const method = 'GET';
    const path = url.pathname;
    let response;
    try {
      response = await this.got(url, { method, signal });
    } catch (error) {
      // Network failures, timeouts and cut-off bodies are all worth another attempt.
      const code = error instanceof RequestError ? error.code : undefined;
      const reason = error instanceof RequestError && error.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs / 1000} s` : `${code ?? 'request failed'}: ${error instanceof Error ? error.message : String(error)}`;
      return { ok: false, error: new ApiError({ message: `${where} failed: cannot reach ${url.origin}: ${shorten(reason)}`, method, path, failureType: 'transient_error', cause: error }) };
    }
    const status = response.statusCode;
    const requestIdHeader = response.headers['x-pulumi-request-id'];
    const requestId = Array.isArray(requestIdHeader) ? requestIdHeader[0] : requestIdHeader;
    const idNote = requestId ? ` (request id ${requestId})` : '';
    if (status >= 200 && status < 300) {
      try {
        return { ok: true, body: JSON.parse(response.body) as T };
      } catch {
        return {
          ok: false,
          error: new ApiError({ message: `${where} answered ${status} with a body that is not complete JSON${idNote}`, method, path, status, requestId, failureType: 'transient_error' }),
        };
      }
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.location ?? '(no location)';
      return {
        ok: false,
        error: new ApiError({ message: `${where} was redirected (${status}) to ${shorten(location)}; redirects are not followed so the token stays with ${url.origin}`, method, path, status, requestId, failureType: 'system_error' }),
      };
    }
    const detail = describeErrorBody(response.body);
    const failureType: FailureType = status === 429 || status >= 500 ? 'transient_error' : status === 401 || status === 403 || status === 404 ? 'config_error' : 'system_error';
    const error = new ApiError({ message: `${where} failed: ${status}${detail ? ` ${detail}` : ''}${idNote}`, method, path, status, requestId, failureType });
    return { ok: false, error, retryAfter: retryAfterMs(response.headers['retry-after'], Date.now()) };
  }
}

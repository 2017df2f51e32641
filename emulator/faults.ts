// Fault injection for the emulator: on a deterministic fraction of requests, answer with one of the
// failures a real client meets (rate limits, server errors, proxy pages, resets, cut-off or non-JSON
// bodies, slow answers). A request is never failed more than `maxConsecutive` times in a row, so a
// client with enough attempts always gets through and a clean sync can be compared with a faulty one.
import { hashKeys } from './data.js';
import type { BeforeRouteHook, EmulatorResponse, RequestContext } from './server.js';

export const FAULT_KINDS = ['429', '429-date', '500', '502-html', '503', 'reset', 'truncate', 'not-json', 'slow'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Fraction of requests that fail, 0..1. */
  rate: number;
  kinds?: readonly FaultKind[];
  seed?: number;
  /** At most this many failures in a row for the same URL. */
  maxConsecutive?: number;
  /** How long a `slow` answer takes; make it longer than the client's timeout. */
  slowMs?: number;
  /** Only requests whose path passes this test are failed. */
  paths?: (path: string) => boolean;
}

export interface FaultLog {
  injected: Map<FaultKind, number>;
}

/** The faults that replace the answer; `truncate` and `slow` alter the real one instead. */
function failedAnswer(kind: Exclude<FaultKind, 'truncate' | 'slow'>): EmulatorResponse {
  switch (kind) {
    case '429':
      return { status: 429, body: { code: 429, message: 'Too Many Requests' }, headers: { 'Retry-After': '0' } };
    case '429-date':
      // An HTTP date in the past: the client may go again at once.
      return { status: 429, rawBody: 'rate limited', headers: { 'Retry-After': new Date(Date.now() - 1000).toUTCString() } };
    case '500':
      return { status: 500, body: { code: 500, message: 'Internal Server Error' } };
    case '502-html':
      return { status: 502, rawBody: '<html><body><h1>502 Bad Gateway</h1>\n<p>upstream error</p></body></html>', headers: { 'Content-Type': 'text/html' } };
    case '503':
      return { status: 503, body: { code: 503, message: 'Service Unavailable' } };
    case 'reset':
      return { status: 200, fault: 'reset' };
    case 'not-json':
      return { status: 200, rawBody: '<html>maintenance</html>', headers: { 'Content-Type': 'text/html' } };
  }
}

export function faultInjector(options: FaultOptions): { hook: BeforeRouteHook; log: FaultLog } {
  const kinds = options.kinds ?? FAULT_KINDS;
  const seed = options.seed ?? 7;
  const maxConsecutive = options.maxConsecutive ?? 2;
  const slowMs = options.slowMs ?? 3000;
  const streak = new Map<string, number>();
  let injected = 0;
  const log: FaultLog = { injected: new Map() };
  const hook: BeforeRouteHook = async (ctx: RequestContext, next) => {
    const url = `${ctx.path}?${new URLSearchParams(ctx.query).toString()}`;
    const roll = (hashKeys(seed, ctx.sequence) % 10_000) / 10_000;
    const eligible = (options.paths?.(ctx.path) ?? true) && (streak.get(url) ?? 0) < maxConsecutive;
    if (!eligible || roll >= options.rate) {
      streak.delete(url);
      return next();
    }
    streak.set(url, (streak.get(url) ?? 0) + 1);
    // Kinds take turns, so every kind is met even in a short run.
    const kind = kinds[injected++ % kinds.length] as FaultKind;
    log.injected.set(kind, (log.injected.get(kind) ?? 0) + 1);
    if (kind === 'truncate') return { ...(await next()), fault: 'truncate' };
    if (kind === 'slow') return { ...(await next()), delayMs: slowMs };
    return failedAnswer(kind);
  };
  return { hook, log };
}

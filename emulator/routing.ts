// The route table: an endpoint is a method, a path pattern and a handler; server.ts dispatches
// every authenticated request through the table.
import type { IncomingHttpHeaders } from 'node:http';

import type { EmulatorModel, Org } from './data.js';

export interface RequestContext {
  readonly method: string;
  /** URL-decoded path. */
  readonly path: string;
  /** URL-decoded path segments after the leading '/'. */
  readonly segments: readonly string[];
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  /** 1-based sequence number of this request since the server started. */
  readonly sequence: number;
}

export interface EmulatorResponse {
  status: number;
  /** Serialised as JSON. */
  body?: unknown;
  /** Sent as is instead of `body` (e.g. a proxy's HTML error page). */
  rawBody?: string | Buffer;
  /** `rawBody` is already gzip-compressed: sent as is with `Content-Encoding: gzip`, whatever the client accepts. */
  contentEncoding?: 'gzip';
  headers?: Record<string, string>;
  /** Waits this long before answering (a slow server). */
  delayMs?: number;
  /** Breaks the connection: `reset` before any byte, `truncate` halfway through the body. */
  fault?: 'reset' | 'truncate';
}

/**
 * The single place for fault injection: it sees every request before authentication and routing
 * and can answer by itself, call `next()` for the normal answer, or alter that answer.
 */
export type BeforeRouteHook = (
  ctx: RequestContext,
  next: () => Promise<EmulatorResponse>,
) => EmulatorResponse | Promise<EmulatorResponse>;

/** What a handler gets besides its path parameters and query. */
export interface HandlerContext {
  readonly model: EmulatorModel;
  readonly request: RequestContext;
}

export type Query = Readonly<Record<string, string>>;

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<Rest>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** The named parameters of a pattern, URL-decoded: '/api/orgs/:org/members' → { org: string }. */
export type Params<P extends string> = { readonly [K in ParamNames<P>]: string };

export type Handler<P extends string> = (params: Params<P>, query: Query, ctx: HandlerContext) => EmulatorResponse;

export interface Route {
  readonly method: string;
  /** '/api/orgs/:org/members': literal segments, and `:name` segments that match any one segment (even an empty one). */
  readonly pattern: string;
  /** This route's answer to a request for `segments`, or undefined when the path is not this route's. */
  match(segments: readonly string[]): ((query: Query, ctx: HandlerContext) => EmulatorResponse) | undefined;
}

export function route<P extends string>(method: string, pattern: P, handler: Handler<P>): Route {
  const parts = pattern.split('/').slice(1);
  return {
    method,
    pattern,
    match(segments) {
      if (segments.length !== parts.length) return undefined;
      const params: Record<string, string> = {};
      for (const [i, part] of parts.entries()) {
        const segment = segments[i] ?? '';
        if (part.startsWith(':')) params[part.slice(1)] = segment;
        else if (part !== segment) return undefined;
      }
      // The loop bound a string to every ':name' of the pattern, which is what Params<P> holds.
      return (query, ctx) => handler(params as Params<P>, query, ctx);
    },
  };
}

/** A refusal that a handler throws; the table answers it as the service does, `{code, message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(status: number, message: string): EmulatorResponse {
  return { status, body: { code: status, message } };
}

export function ok(body: unknown): EmulatorResponse {
  return { status: 200, body };
}

/** The org a path or query names, or the service's 404. */
export function knownOrg(model: EmulatorModel, name: string): Org {
  const org = model.org(name);
  if (!org) throw new HttpError(404, `Not Found: Organization '${name}' not found`);
  return org;
}

/** The answer of the first route that matches the method and path; 404 when none does. */
export function dispatch(routes: readonly Route[], ctx: HandlerContext): EmulatorResponse {
  const { method, segments, query, path } = ctx.request;
  try {
    for (const candidate of routes) {
      const answer = candidate.method === method ? candidate.match(segments) : undefined;
      if (answer) return answer(query, ctx);
    }
  } catch (err) {
    if (err instanceof HttpError) return errorBody(err.status, err.message);
    throw err;
  }
  return errorBody(404, `Not Found: ${path}`);
}

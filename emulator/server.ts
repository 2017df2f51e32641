// A local, deterministic emulator of the Pulumi Cloud REST API over real HTTP on loopback.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import {
  EmulatorModel,
  type EmulatedMember,
  type EmulatedStack,
  type EmulatedTeam,
  type EmulatedUpdate,
  type OrgModel,
  type UpdateResult,
} from './data.js';

export type {
  EmulatedConfigValue,
  EmulatedGithubCommitInfo,
  EmulatedMember,
  EmulatedPolicyPack,
  EmulatedStack,
  EmulatedTeam,
  EmulatedUpdate,
  EmulatedUpdateInfo,
  EmulatedUser,
  EmulatedUserInfo,
  MemberRole,
  UpdateResult,
} from './data.js';

const gzipAsync = promisify(gzip);

export const DEFAULT_TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';
/** Page size of the updates endpoint when `page` is given without `pageSize`. */
export const UPDATES_DEFAULT_PAGE_SIZE = 10;

export interface EmulatorOptions {
  /** Accepted token. */
  token?: string;
  /** Org names, or a count → 'org-1'..'org-N'. */
  orgs?: string[] | number;
  stacksPerOrg?: number;
  /** Maximum updates per stack; stacks get varying counts from 0 up to this. */
  updatesPerStack?: number;
  membersPerOrg?: number;
  teamsPerOrg?: number;
  seed?: number;
  /** Delay added before every response. */
  latencyMs?: number;
  /** These orgs answer 403 on /teams (a plan without teams). */
  orgsWithoutTeams?: string[];
  /** Share of stacks whose newest update is still running, default 0.1 (one per org always is). */
  runningShare?: number;
  stacksDefaultPageSize?: number;
  stacksMaxPageSize?: number;
  updatesMaxPageSize?: number;
  membersPageSize?: number;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Runs before authentication and routing for every request; see BeforeRouteHook. */
  beforeRoute?: BeforeRouteHook;
  /** Keep only the newest requests in `requests` (a long-running standalone emulator); default: all. */
  requestLogLimit?: number;
}

export type ResolvedEmulatorOptions = Required<Omit<EmulatorOptions, 'orgs' | 'beforeRoute' | 'requestLogLimit'>> & { orgs: string[]; requestLogLimit: number | undefined };

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function errorBody(status: number, message: string): EmulatorResponse {
  return { status, body: { code: status, message } };
}

function orgNotFound(org: string): HttpError {
  return new HttpError(404, `Not Found: Organization '${org}' not found`);
}

function resolveOptions(options: EmulatorOptions): ResolvedEmulatorOptions {
  const count = (name: string, value: number | undefined, fallback: number, min = 0): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
    return v;
  };
  const orgsOption = options.orgs ?? 2;
  const orgs =
    typeof orgsOption === 'number'
      ? Array.from({ length: count('orgs', orgsOption, 2) }, (_, i) => `org-${i + 1}`)
      : [...orgsOption];
  if (orgs.some((o) => o === '') || new Set(orgs).size !== orgs.length) throw new RangeError('org names must be unique and non-empty');
  return {
    token: options.token ?? DEFAULT_TOKEN,
    orgs,
    stacksPerOrg: count('stacksPerOrg', options.stacksPerOrg, 12),
    updatesPerStack: count('updatesPerStack', options.updatesPerStack, 15),
    membersPerOrg: count('membersPerOrg', options.membersPerOrg, 7),
    teamsPerOrg: count('teamsPerOrg', options.teamsPerOrg, 3),
    seed: count('seed', options.seed, 1),
    latencyMs: count('latencyMs', options.latencyMs, 0),
    orgsWithoutTeams: [...(options.orgsWithoutTeams ?? [])],
    runningShare: options.runningShare ?? 0.1,
    stacksDefaultPageSize: count('stacksDefaultPageSize', options.stacksDefaultPageSize, 50, 1),
    stacksMaxPageSize: count('stacksMaxPageSize', options.stacksMaxPageSize, 500, 1),
    updatesMaxPageSize: count('updatesMaxPageSize', options.updatesMaxPageSize, 100, 1),
    membersPageSize: count('membersPageSize', options.membersPageSize, 5, 1),
    port: count('port', options.port, 0),
    requestLogLimit: options.requestLogLimit === undefined ? undefined : count('requestLogLimit', options.requestLogLimit, 0, 1),
  };
}

// Continuation tokens: base64url JSON of the offset plus what the listing was scoped to, so a
// token from one listing is refused by another.
interface TokenPayload {
  k: string;
  s: string;
  o: number;
}

function encodeToken(payload: TokenPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined, kind: string, scope: string, total: number): number {
  if (token === undefined || token === '') return 0;
  const invalid = new HttpError(400, 'Invalid continuation token');
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid;
  const p = parsed as Partial<TokenPayload>;
  if (p.k !== kind || p.s !== scope || typeof p.o !== 'number' || !Number.isInteger(p.o) || p.o < 0 || p.o > total) throw invalid;
  return p.o;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new HttpError(400, `Invalid '${name}' value.`);
  return Number(value);
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip') return false;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class PulumiEmulator {
  readonly token: string;
  readonly options: Readonly<ResolvedEmulatorOptions>;
  /** Every request in arrival order; `status` is filled in just before the response is written. */
  readonly requests: RequestLogEntry[] = [];
  /** May be replaced at any time (e.g. to inject faults for one test). */
  beforeRoute: BeforeRouteHook | undefined;

  private readonly server: Server;
  private readonly model: EmulatorModel;
  private readonly shutdown = new AbortController();
  private sequence = 0;
  private listeningUrl = '';
  private closing: Promise<void> | undefined;

  private constructor(options: ResolvedEmulatorOptions, beforeRoute: BeforeRouteHook | undefined) {
    this.options = options;
    this.token = options.token;
    this.beforeRoute = beforeRoute;
    // Every in-flight latency delay listens on this signal; thousands may be pending at once.
    setMaxListeners(0, this.shutdown.signal);
    this.model = new EmulatorModel({
      orgs: options.orgs,
      stacksPerOrg: options.stacksPerOrg,
      updatesPerStack: options.updatesPerStack,
      membersPerOrg: options.membersPerOrg,
      teamsPerOrg: options.teamsPerOrg,
      seed: options.seed,
      orgsWithoutTeams: options.orgsWithoutTeams,
      runningShare: options.runningShare,
    });
    this.server = createServer((req, res) => void this.handle(req, res));
    // Clients keep connections alive between pages; outlive their idle timeouts to avoid reset races.
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
  }

  /** Builds the model and listens on 127.0.0.1. */
  static async start(options: EmulatorOptions = {}): Promise<PulumiEmulator> {
    const emulator = new PulumiEmulator(resolveOptions(options), options.beforeRoute);
    await emulator.listen();
    return emulator;
  }

  /** 'http://127.0.0.1:PORT' */
  get url(): string {
    return this.listeningUrl;
  }

  private async listen(): Promise<void> {
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.options.port, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeningUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.shutdown.abort();
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // ----- inspection -----

  orgNames(): string[] {
    return this.model.orgNames();
  }

  stacks(org: string): EmulatedStack[] {
    return this.requireOrg(org).stacks.map((s) => structuredClone(s.summary));
  }

  updates(org: string, project: string, stack: string): EmulatedUpdate[] {
    const o = this.requireOrg(org);
    const s = this.model.stack(org, project, stack);
    if (!s) throw new RangeError(`unknown stack ${org}/${project}/${stack}`);
    return this.model.updatesNewestFirst(o, s, 0, s.updateCount).map((u) => structuredClone(u));
  }

  members(org: string): EmulatedMember[] {
    return structuredClone(this.requireOrg(org).members);
  }

  teams(org: string): EmulatedTeam[] {
    return structuredClone(this.requireOrg(org).teams);
  }

  // ----- mutations -----

  addUpdate(
    org: string,
    project: string,
    stack: string,
    opts?: { result?: UpdateResult; kind?: string; startTime?: number },
  ): EmulatedUpdate {
    return this.model.addUpdate(org, project, stack, opts);
  }

  finishUpdate(org: string, project: string, stack: string, version: number, result?: 'succeeded' | 'failed'): void {
    this.model.finishUpdate(org, project, stack, version, result);
  }

  addStack(org: string, project: string, stack: string): EmulatedStack {
    return this.model.addStack(org, project, stack);
  }

  // ----- request handling -----

  private requireOrg(name: string): OrgModel {
    const org = this.model.org(name);
    if (!org) throw new RangeError(`unknown organization '${name}'`);
    return org;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume(); // no endpoint reads a body; drain it so keep-alive works
    // Split by hand: new URL() would read a path like '//x' as a host.
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    const segments = pathname.split('/').slice(1).map(decodeSegment);
    const query: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(q === -1 ? '' : target.slice(q + 1))) query[key] = value;
    const ctx: RequestContext = {
      method: req.method ?? 'GET',
      path: '/' + segments.join('/'),
      segments,
      query,
      headers: req.headers,
      requestId: randomUUID(),
      sequence: ++this.sequence,
    };
    const entry: RequestLogEntry = { method: ctx.method, path: ctx.path, query: { ...query }, status: 0 };
    this.requests.push(entry);
    const limit = this.options.requestLogLimit;
    if (limit !== undefined && this.requests.length > limit) this.requests.shift();

    let response: EmulatorResponse;
    try {
      if (this.options.latencyMs > 0) await sleep(this.options.latencyMs, undefined, { signal: this.shutdown.signal });
      const next = (): Promise<EmulatorResponse> => Promise.resolve(this.respond(ctx));
      response = this.beforeRoute ? await this.beforeRoute(ctx, next) : await next();
    } catch (err) {
      if (this.shutdown.signal.aborted) {
        res.destroy();
        return;
      }
      response = errorBody(500, `Internal Server Error: ${err instanceof Error ? err.message : String(err)}`);
    }
    entry.status = response.status;
    try {
      await this.write(req, res, response, ctx.requestId);
    } catch {
      res.destroy();
    }
  }

  private async write(req: IncomingMessage, res: ServerResponse, response: EmulatorResponse, requestId: string): Promise<void> {
    let body: Buffer;
    let contentType: string | undefined;
    if (response.rawBody !== undefined) {
      body = Buffer.isBuffer(response.rawBody) ? response.rawBody : Buffer.from(response.rawBody, 'utf8');
    } else if (response.body !== undefined) {
      body = Buffer.from(JSON.stringify(response.body), 'utf8');
      contentType = 'application/json';
    } else {
      body = Buffer.alloc(0);
    }
    let gzipped = response.contentEncoding === 'gzip';
    if (!gzipped && body.length > 0 && acceptsGzip(req.headers['accept-encoding'])) {
      body = await gzipAsync(body);
      gzipped = true;
    }
    if (response.delayMs) await sleep(response.delayMs, undefined, { signal: this.shutdown.signal });
    if (res.destroyed) return;
    if (response.fault === 'reset') {
      res.socket?.resetAndDestroy();
      return;
    }
    res.statusCode = response.status;
    res.setHeader('X-Pulumi-Request-ID', requestId);
    if (contentType) res.setHeader('Content-Type', contentType);
    res.setHeader('Vary', 'Accept-Encoding');
    for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
    if (gzipped) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', body.length);
    if (response.fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  }

  /** Authentication, then routing. */
  private respond(ctx: RequestContext): EmulatorResponse {
    const auth = ctx.headers.authorization;
    const match = auth === undefined ? null : /^token (.+)$/i.exec(auth.trim());
    if (!match || match[1] !== this.token) return errorBody(401, 'Unauthorized: No credentials provided or are invalid.');
    try {
      return this.route(ctx);
    } catch (err) {
      if (err instanceof HttpError) return errorBody(err.status, err.message);
      throw err;
    }
  }

  private route(ctx: RequestContext): EmulatorResponse {
    const s = ctx.segments;
    const notFound = errorBody(404, `Not Found: ${ctx.path}`);
    if (ctx.method !== 'GET' || s[0] !== 'api') return notFound;
    if (s.length === 2 && s[1] === 'user') return { status: 200, body: this.model.user() };
    if (s.length === 3 && s[1] === 'user' && s[2] === 'stacks') return this.listStacks(ctx.query);
    if (s.length === 6 && s[1] === 'stacks' && s[5] === 'updates') {
      return this.listUpdates(s[2] ?? '', s[3] ?? '', s[4] ?? '', ctx.query);
    }
    if (s.length === 4 && s[1] === 'orgs' && s[3] === 'members') return this.listMembers(s[2] ?? '', ctx.query);
    if (s.length === 4 && s[1] === 'orgs' && s[3] === 'teams') return this.listTeams(s[2] ?? '');
    return notFound;
  }

  private orgOrThrow(name: string): OrgModel {
    const org = this.model.org(name);
    if (!org) throw orgNotFound(name);
    return org;
  }

  private listStacks(query: Record<string, string>): EmulatorResponse {
    const orgName = query['organization'] || undefined;
    const project = query['project'] || undefined;
    const orgs = orgName === undefined ? this.model.orgNames().map((n) => this.orgOrThrow(n)) : [this.orgOrThrow(orgName)];
    const requested = positiveInt(query['maxResults'], 'maxResults') ?? this.options.stacksDefaultPageSize;
    const limit = Math.min(requested, this.options.stacksMaxPageSize);
    const lists = orgs.map((o) => (project === undefined ? o.stacks : o.stacks.filter((st) => st.summary.projectName === project)));
    const total = lists.reduce((n, l) => n + l.length, 0);
    const scope = JSON.stringify([orgName ?? null, project ?? null]);
    const offset = decodeToken(query['continuationToken'], 'stacks', scope, total);

    const page: EmulatedStack[] = [];
    let skip = offset;
    for (const list of lists) {
      if (skip >= list.length) {
        skip -= list.length;
        continue;
      }
      for (let i = skip; i < list.length && page.length < limit; i++) {
        const stack = list[i];
        if (stack) page.push(stack.summary);
      }
      skip = 0;
      if (page.length >= limit) break;
    }
    const end = offset + page.length;
    const body: { stacks: EmulatedStack[]; continuationToken?: string } = { stacks: page };
    if (end < total) body.continuationToken = encodeToken({ k: 'stacks', s: scope, o: end });
    return { status: 200, body };
  }

  private listUpdates(orgName: string, project: string, stackName: string, query: Record<string, string>): EmulatorResponse {
    const org = this.orgOrThrow(orgName);
    const stack = this.model.stack(orgName, project, stackName);
    if (!stack) throw new HttpError(404, `Not Found: Stack '${orgName}/${project}/${stackName}' not found`);
    const total = stack.updateCount;
    if (query['output-type'] !== 'service') {
      const updates = this.model.updatesNewestFirst(org, stack, 0, total).map((u) => u.info);
      return { status: 200, body: { updates } };
    }
    const page = positiveInt(query['page'], 'page');
    const requestedSize = positiveInt(query['pageSize'], 'pageSize');
    if (page === undefined && requestedSize === undefined) {
      // As the service: no paging parameters means the whole history.
      return { status: 200, body: { updates: this.model.updatesNewestFirst(org, stack, 0, total), itemsPerPage: total, total } };
    }
    const pageSize = Math.min(requestedSize ?? UPDATES_DEFAULT_PAGE_SIZE, this.options.updatesMaxPageSize);
    const offset = ((page ?? 1) - 1) * pageSize;
    const updates = offset >= total ? [] : this.model.updatesNewestFirst(org, stack, offset, pageSize);
    return { status: 200, body: { updates, itemsPerPage: pageSize, total } };
  }

  private listMembers(orgName: string, query: Record<string, string>): EmulatorResponse {
    const org = this.orgOrThrow(orgName);
    const type = query['type'];
    if (type !== undefined && type !== 'backend' && type !== 'frontend') throw new HttpError(400, "Invalid 'type' value.");
    const total = org.members.length;
    const offset = decodeToken(query['continuationToken'], 'members', orgName, total);
    const members = org.members.slice(offset, offset + this.options.membersPageSize);
    const end = offset + members.length;
    const body: { members: EmulatedMember[]; continuationToken?: string } = { members };
    if (end < total) body.continuationToken = encodeToken({ k: 'members', s: orgName, o: end });
    return { status: 200, body };
  }

  private listTeams(orgName: string): EmulatorResponse {
    const org = this.orgOrThrow(orgName);
    if (!org.teamsAvailable) throw new HttpError(403, 'Forbidden: teams are not available on this plan');
    return { status: 200, body: { teams: org.teams } };
  }
}

// A local, deterministic emulator of the Pulumi Cloud REST API over real HTTP on loopback.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import { EmulatorModel } from './data.js';
import { resolveOptions, type EmulatorOptions, type ResolvedEmulatorOptions } from './options.js';
import { addAuditEvent, auditLogsData, type EmulatedAuditEvent } from './resources/audit-logs.js';
import { addDeployment, deploymentsNewestFirst, setDeploymentStatus, type DeploymentStatus, type EmulatedDeployment, type PulumiOperation } from './resources/deployments.js';
import { addRevision, requireRevisions, type EmulatedRevision } from './resources/environment-revisions.js';
import { environmentsData, type EmulatedEnvironment } from './resources/environments.js';
import { membersData, type EmulatedMember } from './resources/members.js';
import { agentPoolsData, type EmulatedAgentPool } from './resources/agent-pools.js';
import { oidcIssuersData, type EmulatedOidcIssuer } from './resources/oidc-issuers.js';
import { orgAccessTokensData, type EmulatedAccessToken } from './resources/org-access-tokens.js';
import { orgWebhooksData, type EmulatedWebhook } from './resources/org-webhooks.js';
import { policyPacksData, policyPackVersion, type EmulatedPolicyPackSummary, type EmulatedPolicyPackVersion } from './resources/policy-packs.js';
import { resourceSearchData, type EmulatedResource } from './resources/resource-search.js';
import { usagePoints, type EmulatedUsagePoint } from './resources/resource-usage.js';
import { ORG_DATA, ROUTES } from './resources/index.js';
import { addStack, requireStack, stacksData, type EmulatedStack } from './resources/stacks.js';
import { policyGroupsData, type EmulatedPolicyGroup } from './resources/policy-groups.js';
import { driftRuns, stackDetail, stackSchedules } from './resources/stack-details.js';
import { teamDetail, teamTokens } from './resources/team-details.js';
import { teamsData, type EmulatedTeam } from './resources/teams.js';
import { updatesNewestFirst, type EmulatedUpdate, type UpdateResult } from './resources/update-history.js';
import { addUpdate, finishUpdate } from './resources/updates.js';
import { dispatch, errorBody, type BeforeRouteHook, type EmulatorResponse, type RequestContext, type Route } from './routing.js';

export { DEFAULT_TOKEN, type EmulatorOptions, type ResolvedEmulatorOptions } from './options.js';
export type { EmulatedAuditEvent } from './resources/audit-logs.js';
export { AUDIT_LOGS_NOT_AVAILABLE } from './resources/audit-logs.js';
export type { DeploymentInitiator, DeploymentStatus, EmulatedDeployment, EmulatedDeploymentJob, EmulatedDeploymentStep, EmulatedDeploymentUpdate, PulumiOperation } from './resources/deployments.js';
export { DEPLOYMENTS_DEFAULT_PAGE_SIZE, DEPLOYMENTS_MAX_PAGE_SIZE, NOT_STARTED_TIME } from './resources/deployments.js';
export type { EmulatedRevision } from './resources/environment-revisions.js';
export { REVISIONS_DEFAULT_COUNT, REVISIONS_MAX_COUNT } from './resources/environment-revisions.js';
export type { EmulatedEnvironment } from './resources/environments.js';
export { ENVIRONMENTS_DEFAULT_PAGE_SIZE, ENVIRONMENTS_MAX_PAGE_SIZE, ESC_NOT_ENABLED } from './resources/environments.js';
export type { EmulatedMember, EmulatedUserInfo, MemberRole } from './resources/members.js';
export type { EmulatedStack } from './resources/stacks.js';
export type { EmulatedTeam } from './resources/teams.js';
export type { EmulatedConfigValue, EmulatedGithubCommitInfo, EmulatedPolicyPack, EmulatedUpdate, EmulatedUpdateInfo, UpdateResult } from './resources/update-history.js';
export { UPDATES_DEFAULT_PAGE_SIZE } from './resources/updates.js';
export type { EmulatedUser } from './resources/user.js';
export type { BeforeRouteHook, EmulatorResponse, RequestContext } from './routing.js';

const gzipAsync = promisify(gzip);

/** An answer as sent: serialised and, where asked for, compressed. */
interface CachedAnswer {
  status: number;
  contentType: string | undefined;
  headers: Record<string, string>;
  gzipped: boolean;
  body: Buffer;
}

function writeHead(res: ServerResponse, answer: CachedAnswer, requestId: string): void {
  res.statusCode = answer.status;
  res.setHeader('X-Pulumi-Request-ID', requestId);
  if (answer.contentType) res.setHeader('Content-Type', answer.contentType);
  res.setHeader('Vary', 'Accept-Encoding');
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (answer.gzipped) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', answer.body.length);
}

function sendAnswer(res: ServerResponse, answer: CachedAnswer, requestId: string): void {
  writeHead(res, answer, requestId);
  res.end(answer.body);
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
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
  private readonly routes: readonly Route[];
  private readonly shutdown = new AbortController();
  private sequence = 0;
  private listeningUrl = '';
  /** Answers kept by request line while `cacheAnswers(true)`; undefined when off. */
  private answerCache: Map<string, CachedAnswer> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(options: ResolvedEmulatorOptions, beforeRoute: BeforeRouteHook | undefined, routes: readonly Route[]) {
    this.options = options;
    this.token = options.token;
    this.beforeRoute = beforeRoute;
    this.routes = routes;
    // Every in-flight latency delay listens on this signal; thousands may be pending at once.
    setMaxListeners(0, this.shutdown.signal);
    this.model = new EmulatorModel(options, ORG_DATA);
    this.server = createServer((req, res) => void this.handle(req, res));
    // Clients keep connections alive between pages; outlive their idle timeouts to avoid reset races.
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
  }

  /** Builds the model and listens on 127.0.0.1. */
  static async start(options: EmulatorOptions = {}): Promise<PulumiEmulator> {
    const emulator = new PulumiEmulator(resolveOptions(options), options.beforeRoute, options.routes ?? ROUTES);
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

  /**
   * For the benchmark: while on, each successful answer is kept (serialised and compressed) and sent
   * again as is, with a fresh request id, to the same request. A second run of the same requests then
   * costs the emulator next to nothing, so that a timed run measures the tap and not the emulator
   * generating, serialising and compressing pages on the same cores. Off forgets every answer: turn
   * it off before changing the data. Never on while a `beforeRoute` hook (faults) is set.
   */
  cacheAnswers(on: boolean): void {
    if (on && this.beforeRoute) throw new Error('answers cannot be cached while a beforeRoute hook decides them');
    this.answerCache = on ? (this.answerCache ?? new Map()) : undefined;
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
    return this.model.requireOrg(org).get(stacksData).list.map((s) => structuredClone(s.summary));
  }

  updates(org: string, project: string, stack: string): EmulatedUpdate[] {
    const found = requireStack(this.model, org, project, stack);
    return updatesNewestFirst(found.org, found.stack, 0, found.stack.updateCount).map((u) => structuredClone(u));
  }

  members(org: string): EmulatedMember[] {
    return structuredClone(this.model.requireOrg(org).get(membersData));
  }

  teams(org: string): EmulatedTeam[] {
    return structuredClone(this.model.requireOrg(org).get(teamsData).teams);
  }

  /** The org's ESC environments in the listing's order (by project, then name). */
  environments(org: string): EmulatedEnvironment[] {
    return this.model.requireOrg(org).get(environmentsData).list.map((e) => structuredClone(e.summary));
  }

  /** An environment's revisions, newest first. */
  revisions(org: string, project: string, env: string): EmulatedRevision[] {
    return requireRevisions(this.model, org, project, env)
      .revisions.map((r) => structuredClone(r))
      .reverse();
  }

  /** The org's deployments, newest first (the listing's default order). */
  deployments(org: string): EmulatedDeployment[] {
    return deploymentsNewestFirst(this.model.requireOrg(org));
  }

  /** The org's audit log events, newest first. */
  auditEvents(org: string): EmulatedAuditEvent[] {
    return structuredClone(this.model.requireOrg(org).get(auditLogsData).events);
  }

  /** A stack's detail document, as GET /api/stacks/ORG/PROJECT/STACK answers it. */
  stackDetail(org: string, project: string, stack: string): Record<string, unknown> {
    const found = requireStack(this.model, org, project, stack);
    return stackDetail(found.org, found.stack);
  }

  stackSchedules(org: string, project: string, stack: string): Array<Record<string, unknown>> {
    const found = requireStack(this.model, org, project, stack);
    return stackSchedules(found.org, found.stack);
  }

  /** A stack's drift runs, newest first. */
  driftRuns(org: string, project: string, stack: string): Array<Record<string, unknown>> {
    const found = requireStack(this.model, org, project, stack);
    return driftRuns(found.org, found.stack);
  }

  /** A team's detail document, as GET /api/orgs/ORG/teams/TEAM answers it. */
  teamDetail(org: string, team: string): EmulatedTeam {
    const found = this.model.requireOrg(org).get(teamsData).teams.find((t) => t.name === team);
    if (!found) throw new RangeError(`organization '${org}' has no team ${team}`);
    return structuredClone(teamDetail(found));
  }

  teamTokens(org: string, team: string): EmulatedAccessToken[] {
    return teamTokens(this.model.requireOrg(org), team);
  }

  policyGroups(org: string): EmulatedPolicyGroup[] {
    return structuredClone(this.model.requireOrg(org).get(policyGroupsData));
  }

  /** The org's access tokens, expired ones included, with the fake `tokenValue` a server should never send. */
  orgAccessTokens(org: string): EmulatedAccessToken[] {
    return structuredClone(this.model.requireOrg(org).get(orgAccessTokensData).tokens);
  }

  oidcIssuers(org: string): EmulatedOidcIssuer[] {
    return structuredClone(this.model.requireOrg(org).get(oidcIssuersData));
  }

  agentPools(org: string): EmulatedAgentPool[] {
    return structuredClone(this.model.requireOrg(org).get(agentPoolsData).pools);
  }

  /** The org's webhooks, with their fake secrets. */
  orgWebhooks(org: string): EmulatedWebhook[] {
    return structuredClone(this.model.requireOrg(org).get(orgWebhooksData).hooks);
  }

  policyPacks(org: string): EmulatedPolicyPackSummary[] {
    return structuredClone(this.model.requireOrg(org).get(policyPacksData).packs);
  }

  /** One version of a policy pack with its policies; undefined when it does not exist. */
  policyPackVersion(org: string, name: string, version: number): EmulatedPolicyPackVersion | undefined {
    const found = this.model.requireOrg(org);
    return policyPackVersion(found.seed, found.get(policyPacksData), name, version);
  }

  /** The daily usage the summary answers for `lookbackDays` back from `nowMs` (default: now), oldest first. */
  usage(org: string, lookbackDays: number, nowMs = Date.now()): EmulatedUsagePoint[] {
    return usagePoints(this.model.requireOrg(org), lookbackDays, nowMs);
  }

  /** The org's resource search index, in the listing's order (newest modified first). */
  resources(org: string): EmulatedResource[] {
    return structuredClone(this.model.requireOrg(org).get(resourceSearchData));
  }

  // ----- mutations -----

  addUpdate(
    org: string,
    project: string,
    stack: string,
    opts?: { result?: UpdateResult; kind?: string; startTime?: number },
  ): EmulatedUpdate {
    return addUpdate(this.model, org, project, stack, opts);
  }

  finishUpdate(org: string, project: string, stack: string, version: number, result?: 'succeeded' | 'failed'): void {
    finishUpdate(this.model, org, project, stack, version, result);
  }

  addStack(org: string, project: string, stack: string): EmulatedStack {
    return addStack(this.model, org, project, stack);
  }

  /** Revision N+1 of an environment, created now and tagged `latest`. */
  addRevision(org: string, project: string, env: string): EmulatedRevision {
    return addRevision(this.model, org, project, env);
  }

  /** A deployment created now, running unless told otherwise, of the given stack or a random one. */
  addDeployment(
    org: string,
    opts?: { status?: DeploymentStatus; projectName?: string; stackName?: string; pulumiOperation?: PulumiOperation },
  ): EmulatedDeployment {
    return addDeployment(this.model, org, opts);
  }

  /** Moves a deployment to `status`; its `modified` becomes now. */
  setDeploymentStatus(org: string, id: string, status: DeploymentStatus): EmulatedDeployment {
    return setDeploymentStatus(this.model, org, id, status);
  }

  /** An audit log event logged now. */
  addAuditEvent(org: string, opts?: { event?: string; description?: string; user?: EmulatedAuditEvent['user'] }): EmulatedAuditEvent {
    return addAuditEvent(this.model, org, opts);
  }

  // ----- request handling -----

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

    // Kept per credentials too (a request without the token must still be refused), and never while a
    // hook decides the answers (it may have been set after the cache was turned on).
    const cacheKey =
      this.answerCache && !this.beforeRoute ? `${ctx.method} ${target} ${acceptsGzip(req.headers['accept-encoding']) ? 'gzip' : 'identity'} ${req.headers.authorization ?? ''}` : undefined;
    let response: EmulatorResponse;
    try {
      if (this.options.latencyMs > 0) await sleep(this.options.latencyMs, undefined, { signal: this.shutdown.signal });
      const cached = cacheKey === undefined ? undefined : this.answerCache?.get(cacheKey);
      if (cached) {
        entry.status = cached.status;
        if (!res.destroyed) sendAnswer(res, cached, ctx.requestId);
        return;
      }
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
      await this.write(req, res, response, ctx.requestId, cacheKey);
    } catch {
      res.destroy();
    }
  }

  private async write(req: IncomingMessage, res: ServerResponse, response: EmulatorResponse, requestId: string, cacheKey: string | undefined): Promise<void> {
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
    const answer: CachedAnswer = { status: response.status, contentType, headers: response.headers ?? {}, gzipped, body };
    if (response.fault === 'truncate') {
      writeHead(res, answer, requestId);
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    if (cacheKey !== undefined && response.status === 200 && !response.fault && !response.delayMs) this.answerCache?.set(cacheKey, answer);
    sendAnswer(res, answer, requestId);
  }

  /** Authentication, then the route table. */
  private respond(ctx: RequestContext): EmulatorResponse {
    const auth = ctx.headers.authorization;
    const match = auth === undefined ? null : /^token (.+)$/i.exec(auth.trim());
    if (!match || match[1] !== this.token) return errorBody(401, 'Unauthorized: No credentials provided or are invalid.');
    return dispatch(this.routes, { model: this.model, request: ctx });
  }
}

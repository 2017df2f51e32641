// Audit log events: GET /api/orgs/{org}/auditlogs/v2, newest first within the window
// [startTime, endTime), in fixed-size pages joined by continuation tokens; 403 on a plan without
// audit logs; and events logged at run time.
import { CLOCK_START, Rng, STACK_NAMES, type EmulatorModel, type Org, type OrgData } from '../data.js';
import { nonNegativeInt, tokenPage, withContinuation } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { environmentsData } from './environments.js';
import { membersData, someMemberUser } from './members.js';
import { stacksData } from './stacks.js';
import { BOT_USER } from './update-history.js';

export interface EmulatedAuditEvent {
  /** Unix seconds; two events may share one. */
  timestamp: number;
  sourceIP: string;
  event: string;
  description: string;
  user: { name: string; githubLogin: string; avatarUrl: string };
  tokenID?: string;
  tokenName?: string;
  reqOrgAdmin?: boolean;
  reqStackAdmin?: boolean;
  authFailure?: boolean;
  actorName?: string;
  actorUrn?: string;
}

export interface OrgAuditLog {
  /** False for the orgs of `orgsWithoutAuditLogs`: a plan without audit logs. */
  available: boolean;
  /** Newest first. */
  events: EmulatedAuditEvent[];
}

export const AUDIT_LOGS_NOT_AVAILABLE = 'Audit Logs is available only to organizations with an Enterprise subscription';

/** Generated events happened in the 90 days before the model's clock. */
const WINDOW_SECONDS = 90 * 86_400;

/** The names an event's description can mention. */
interface Subjects {
  stack: string;
  environment: string;
  member: string;
}

interface EventKind {
  event: string;
  weight: number;
  describe(s: Subjects): string;
  admin?: 'org' | 'stack';
  authFailure?: boolean;
}

const EVENT_KINDS: readonly EventKind[] = [
  { event: 'stack.update', weight: 30, describe: (s) => `Updated stack '${s.stack}'` },
  { event: 'stack.preview', weight: 15, describe: (s) => `Previewed stack '${s.stack}'` },
  { event: 'stack.export', weight: 5, describe: (s) => `Exported stack '${s.stack}'` },
  { event: 'stack.created', weight: 5, describe: (s) => `Created stack '${s.stack}'` },
  { event: 'stack.deleted', weight: 2, describe: (s) => `Deleted stack '${s.stack}'`, admin: 'stack' },
  { event: 'environment.opened', weight: 15, describe: (s) => `Opened environment '${s.environment}'` },
  { event: 'environment.updated', weight: 6, describe: (s) => `Updated environment '${s.environment}'` },
  { event: 'member.added', weight: 4, describe: (s) => `Added member '${s.member}'`, admin: 'org' },
  { event: 'member.role.changed', weight: 3, describe: (s) => `Changed the role of '${s.member}'`, admin: 'org' },
  { event: 'token.created', weight: 4, describe: () => 'Created an access token', admin: 'org' },
  { event: 'login.failed', weight: 3, describe: () => 'Failed to log in', authFailure: true },
];

function sourceIp(rng: Rng): string {
  // Documentation address ranges only.
  return rng.chance(0.8) ? `${rng.pick(['203.0.113', '198.51.100'])}.${rng.int(1, 254)}` : `2001:db8::${rng.hex(4)}`;
}

function subjectsFor(org: Org, rng: Rng): Subjects {
  const stacks = org.get(stacksData).list;
  const environments = org.get(environmentsData).list;
  const members = org.get(membersData);
  const stack = stacks.length > 0 ? rng.pick(stacks).summary : undefined;
  const env = environments.length > 0 ? rng.pick(environments).summary : undefined;
  return {
    stack: stack ? `${stack.projectName}/${stack.stackName}` : `default/${rng.pick(STACK_NAMES)}`,
    environment: env ? `${env.project}/${env.name}` : 'default/dev',
    member: members.length > 0 ? rng.pick(members).user.githubLogin : 'someone',
  };
}

const WEIGHTED_KINDS = EVENT_KINDS.map((k) => [k, k.weight] as const);

/** One event at `timestamp`, drawn from `rng`. */
function auditEvent(org: Org, rng: Rng, timestamp: number): EmulatedAuditEvent {
  const kind = rng.weighted(WEIGHTED_KINDS);
  const byDeployments = rng.chance(0.1);
  const { name, githubLogin, avatarUrl } = byDeployments ? BOT_USER : someMemberUser(rng, org.get(membersData), BOT_USER);
  const event: EmulatedAuditEvent = { timestamp, sourceIP: sourceIp(rng), event: kind.event, description: kind.describe(subjectsFor(org, rng)), user: { name, githubLogin, avatarUrl } };
  if (byDeployments || rng.chance(0.25)) {
    event.tokenID = rng.uuid();
    event.tokenName = byDeployments ? 'deployments' : rng.pick(['ci', 'laptop', 'automation']);
  }
  if (kind.admin !== undefined || rng.chance(0.5)) {
    event.reqOrgAdmin = kind.admin === 'org';
    event.reqStackAdmin = kind.admin === 'stack';
  }
  if (kind.authFailure) event.authFailure = true;
  if (byDeployments) {
    event.actorName = 'Pulumi Deployments';
    event.actorUrn = `urn:pulumi:${org.name}::deployments`;
  }
  return event;
}

/** `count` timestamps in the window, newest first, with equal neighbours early on and across the first page boundary. */
function timestamps(rng: Rng, count: number, pageSize: number): number[] {
  const start = CLOCK_START - 60 - WINDOW_SECONDS;
  const times = Array.from({ length: count }, () => start + rng.int(0, WINDOW_SECONDS)).sort((a, b) => b - a);
  for (const k of [3, pageSize]) {
    const previous = times[k - 1];
    if (k < times.length && previous !== undefined) times[k] = previous;
  }
  return times;
}

export const auditLogsData: OrgData<OrgAuditLog> = {
  name: 'audit-logs',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'audit-logs');
    const events = timestamps(rng, model.options.auditEventsPerOrg, model.options.auditLogPageSize).map((t) => auditEvent(org, rng, t));
    return { available: !model.options.orgsWithoutAuditLogs.includes(org.name), events };
  },
};

export const auditLogRoutes: Route[] = [
  route('GET', '/api/orgs/:org/auditlogs/v2', (params, query, { model }) => {
    const log = knownOrg(model, params.org).get(auditLogsData);
    if (!log.available) throw new HttpError(403, AUDIT_LOGS_NOT_AVAILABLE);
    const startTime = nonNegativeInt(query['startTime'], 'startTime');
    const endTime = nonNegativeInt(query['endTime'], 'endTime');
    const inWindow = log.events.filter((e) => (startTime === undefined || e.timestamp >= startTime) && (endTime === undefined || e.timestamp < endTime));
    const listing = { kind: 'auditlogs', scope: JSON.stringify([params.org, startTime ?? null, endTime ?? null]) };
    // Counted from the oldest end: an event logged while a client pages does not shift its pages.
    const page = tokenPage(inWindow, query['continuationToken'], listing, model.options.auditLogPageSize, 'end');
    return ok(withContinuation({ auditLogEvents: page.items }, page.continuationToken));
  }),
];

/** Logs an event now, newest of all; what happened and who did it are drawn unless given. */
export function addAuditEvent(
  model: EmulatorModel,
  orgName: string,
  opts: { event?: string; description?: string; user?: EmulatedAuditEvent['user'] } = {},
): EmulatedAuditEvent {
  const org = model.requireOrg(orgName);
  const rng = Rng.of(model.options.seed, 'added-audit-event', model.nextSerial('added-audit-event'));
  const event = auditEvent(org, rng, model.tick());
  if (opts.event !== undefined) event.event = opts.event;
  if (opts.description !== undefined) event.description = opts.description;
  if (opts.user !== undefined) event.user = { ...opts.user };
  org.get(auditLogsData).events.unshift(event);
  return structuredClone(event);
}

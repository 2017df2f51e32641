// Hostile modes of the emulator: an API that misbehaves on purpose (short, malformed or endless pages,
// keys of the wrong type, names that look like path syntax, decompression bombs, echoed secrets).
// They are test fixtures for test/hostile.test.ts, not features of the emulated service.
import { randomUUID } from 'node:crypto';
import { constants, createGzip } from 'node:zlib';
import type { BeforeRouteHook, EmulatedStack, EmulatorOptions, EmulatorResponse, PulumiEmulator, RequestContext } from './server.js';

/** One stack, by organization, project and stack name. */
export interface StackRef {
  org: string;
  project: string;
  stack: string;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request for one stack's update history. */
export function isUpdatesOf(ctx: RequestContext, target: StackRef): boolean {
  const s = ctx.segments;
  return s.length === 6 && s[0] === 'api' && s[1] === 'stacks' && s[2] === target.org && s[3] === target.project && s[4] === target.stack && s[5] === 'updates';
}

/** A request for one organization's stack listing. */
export function isStackListingOf(ctx: RequestContext, org: string): boolean {
  return ctx.path === '/api/user/stacks' && ctx.query['organization'] === org && !isOrganizationProbe(ctx);
}

/** The tap's check of an organization before a sync: a one-stack listing (tests use other page sizes). */
export function isOrganizationProbe(ctx: RequestContext): boolean {
  return ctx.path === '/api/user/stacks' && ctx.query['maxResults'] === '1' && ctx.query['continuationToken'] === undefined;
}

/**
 * The 1-based page a stack listing request asks for: the emulator's continuation token is base64url
 * JSON holding the offset as `o` (see encodeToken in paging.ts), and `maxResults` is the page size.
 */
export function stackListingPage(ctx: RequestContext): number {
  const token = ctx.query['continuationToken'];
  const pageSize = Number(ctx.query['maxResults']);
  if (!token || !(pageSize > 0)) return 1;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return 1;
  }
  const offset = isObject(payload) && typeof payload['o'] === 'number' ? payload['o'] : 0;
  return Math.floor(offset / pageSize) + 1;
}

/** A value spliced into the JSON text as is: numbers beyond 2^53, `__proto__` keys, deep nesting. */
export class RawJson {
  readonly placeholder = `@@raw-json-${randomUUID()}@@`;
  constructor(readonly text: string) {}
}

/** JSON text of `value`, with every RawJson inside written as its own text. */
export function jsonText(value: unknown): string {
  const raws: RawJson[] = [];
  let text = JSON.stringify(value, (_key, inner: unknown) => {
    if (!(inner instanceof RawJson)) return inner;
    raws.push(inner);
    return inner.placeholder;
  });
  for (const raw of raws) text = text.replace(`"${raw.placeholder}"`, () => raw.text);
  return text;
}

function jsonResponse(status: number, text: string): EmulatorResponse {
  return { status, rawBody: text, headers: { 'Content-Type': 'application/json' } };
}

/** An update element's `info` object (UpdateInfo), created if the element has none. */
export function infoOf(update: JsonObject): JsonObject {
  const info = update['info'];
  if (isObject(info)) return info;
  const created: JsonObject = {};
  update['info'] = created;
  return created;
}

/** Edits the update elements of one stack's history pages before they are sent; a copy is edited, never the model. */
export function rewriteUpdates(target: StackRef, edit: (update: JsonObject) => void): BeforeRouteHook {
  return async (ctx, next) => {
    const response = await next();
    if (!isUpdatesOf(ctx, target) || response.status !== 200 || !isObject(response.body)) return response;
    const body = structuredClone(response.body);
    const updates = body['updates'];
    if (Array.isArray(updates)) for (const update of updates) if (isObject(update)) edit(update);
    return jsonResponse(200, jsonText(body));
  };
}

/** Update `version` of the stack gets `fields` (of the element and of its `info`), RawJson values written as is. */
export function updateFields(target: StackRef, version: number, fields: { element?: JsonObject; info?: JsonObject }): BeforeRouteHook {
  return rewriteUpdates(target, (update) => {
    if (update['version'] !== version) return;
    Object.assign(infoOf(update), fields.info);
    Object.assign(update, fields.element);
  });
}

/** The updates endpoint caps pages at `cap` items whatever pageSize is asked, and counts offsets with that cap. */
export function shortUpdatePages(cap: number, options: { itemsPerPage: boolean }): Pick<EmulatorOptions, 'updatesMaxPageSize' | 'beforeRoute'> {
  if (options.itemsPerPage) return { updatesMaxPageSize: cap };
  return {
    updatesMaxPageSize: cap,
    beforeRoute: async (ctx, next) => {
      const response = await next();
      if (ctx.segments.at(-1) !== 'updates' || !isObject(response.body)) return response;
      const { itemsPerPage: _dropped, ...rest } = response.body;
      return { ...response, body: rest };
    },
  };
}

/** The pages that `match` picks are answered 200 with `text` (malformed JSON content), on every attempt. */
export function malformedPage(match: (ctx: RequestContext) => boolean, text: string): BeforeRouteHook {
  return (ctx, next) => (match(ctx) ? jsonResponse(200, text) : next());
}

/** A made-up update element of the service shape, for histories that are not the model's. */
export function syntheticUpdate(version: number, startTime: number): JsonObject {
  return {
    info: { kind: 'update', startTime, endTime: startTime + 5, result: 'succeeded', message: '', environment: {}, config: {}, version },
    updateID: `00000000-0000-4000-8000-${String(version).padStart(12, '0').slice(-12)}`,
    version,
    latestVersion: version,
    requestedBy: { name: 'Hostile Server', githubLogin: 'hostile', avatarUrl: 'https://avatars.example.com/u/hostile' },
  };
}

/** The stack listing of `org` never ends: each page repeats `stacks`, with a continuation token never sent before. */
export function endlessStackListing(org: string, stacks: readonly EmulatedStack[]): BeforeRouteHook {
  return (ctx, next) => (isStackListingOf(ctx, org) ? { status: 200, body: { stacks, continuationToken: `hostile-${ctx.sequence}` } } : next());
}

/** One stack's history grows by a page on every request: `total` always runs ahead, and each page holds new versions. */
export function growingUpdates(target: StackRef): BeforeRouteHook {
  let served = 0;
  return (ctx, next) => {
    if (!isUpdatesOf(ctx, target)) return next();
    served++;
    const size = Number(ctx.query['pageSize']) || 10;
    const newest = 1_000_000_000 - served * size;
    const updates = Array.from({ length: size }, (_, i) => syntheticUpdate(newest - i, 700_000_000 + newest - i));
    return { status: 200, body: { updates, itemsPerPage: size, total: (served + 1) * size } };
  };
}

/** One stack's history ignores `page` and sends no total: every request gets the same newest pageSize updates. */
export function pageIgnoringUpdates(target: StackRef): BeforeRouteHook {
  return (ctx, next) => {
    if (!isUpdatesOf(ctx, target)) return next();
    const size = Number(ctx.query['pageSize']) || 10;
    const updates = Array.from({ length: size }, (_, i) => syntheticUpdate(size - i, 1_700_000_000 - i));
    return { status: 200, body: { updates } };
  };
}

/** A gzip body that inflates to about `inflatedBytes`: an updates page whose one message is that many spaces. */
export async function gzipBomb(inflatedBytes: number): Promise<Buffer> {
  // Run-length strategy: a gigabyte of one byte compresses in about two seconds, streamed in 1 MiB chunks.
  const gzip = createGzip({ level: 9, strategy: constants.Z_RLE });
  const parts: Buffer[] = [];
  gzip.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
  });
  const chunk = Buffer.alloc(2 ** 20, 0x20);
  gzip.write('{"updates":[{"version":1,"info":{"kind":"update","startTime":1700000000,"result":"succeeded","message":"');
  for (let written = 0; written < inflatedBytes; written += chunk.length) {
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end('"}}],"total":1}');
  await ended;
  return Buffer.concat(parts);
}

/** One stack's history answers with `gzipped` as is (Content-Encoding: gzip), whatever was asked. */
export function compressedUpdates(target: StackRef, gzipped: Buffer): BeforeRouteHook {
  return (ctx, next) =>
    isUpdatesOf(ctx, target) ? { status: 200, rawBody: gzipped, contentEncoding: 'gzip', headers: { 'Content-Type': 'application/json' } } : next();
}

/** The teams endpoint of `org` answers 400 with a body that echoes the caller's token, shaped by `echo`. */
export function tokenEchoOnTeams(org: string, echo: (token: string) => string): BeforeRouteHook {
  return (ctx, next) => {
    if (ctx.path !== `/api/orgs/${org}/teams`) return next();
    const token = /^token (.*)$/is.exec(ctx.headers.authorization ?? '')?.[1] ?? '';
    return jsonResponse(400, echo(token));
  };
}

/** The first request of every URL that `match` picks answers 429 with `Retry-After: seconds`; its retry gets through. */
export function rateLimitFirstAttempt(match: (ctx: RequestContext) => boolean, seconds: number): BeforeRouteHook {
  const limited = new Set<string>();
  return (ctx, next) => {
    const url = `${ctx.path}?${new URLSearchParams(ctx.query).toString()}`;
    if (!match(ctx) || limited.has(url)) return next();
    limited.add(url);
    return { status: 429, body: { code: 429, message: 'Too Many Requests' }, headers: { 'Retry-After': String(seconds) } };
  };
}

/** Adds a project named '..' holding a stack named '.' with `updates` updates: names that look like path syntax. */
export function addPathSyntaxStack(emulator: PulumiEmulator, org: string, updates: number): StackRef {
  const target: StackRef = { org, project: '..', stack: '.' };
  emulator.addStack(target.org, target.project, target.stack);
  for (let i = 0; i < updates; i++) emulator.addUpdate(target.org, target.project, target.stack);
  return target;
}

/** Many small organizations (per organization: a stack with two updates, a never-updated one, a member, a team). */
export function manyOrganizations(count: number): EmulatorOptions {
  return { orgs: count, stacksPerOrg: 2, updatesPerStack: 2, membersPerOrg: 1, teamsPerOrg: 1, environmentsPerOrg: 1, deploymentsPerOrg: 2 };
}

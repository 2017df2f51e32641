// The engine in-process, with a fake fetch and streams of its own (no build, no HTTP): it must read
// any stream the definitions describe (children at any depth, server-side start, per-page
// bookmarks, status handling) without knowing any of them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig, type TapConfig } from '../src/config/config.js';
import { SyncEngine, type PageRequest, type SelectedStream, type SyncOptions } from '../src/core/engine.js';
import type { SyncEvent } from '../src/core/events.js';
import { defineStream, type Context, type Stream } from '../src/core/stream.js';
import { ApiError } from '../src/errors.js';
import { StateStore } from '../src/core/state.js';
import { STREAM_NAMES } from '../src/streams/index.js';
import { unreadableTime } from '../src/streams/times.js';
import { REPO_ROOT } from './support/cli.js';

interface Thing extends Record<string, unknown> {
  org: string;
  id: string;
  updated: number | null;
  last_seq: number | null;
}
interface Event extends Record<string, unknown> {
  org: string;
  thing: string;
  seq: number;
  done: boolean;
}
interface Note extends Record<string, unknown> {
  org: string;
  thing: string;
  seq: number;
  n: number;
}
interface Entry extends Record<string, unknown> {
  org: string;
  id: number;
  at: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const number = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const field = (item: unknown, name: string): unknown => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[name] : undefined);

const things = defineStream({
  name: 'things',
  keyProperties: ['org', 'id'],
  rootContext: (organization) => ({ org: organization }),
  request: { endpoint: '/orgs/{org}/things', path: (c) => `/orgs/${c.org}/things`, paging: () => ({ kind: 'cursor', tokenField: 'next', tokenParam: 'after' }), records: 'items' },
  cursor: { field: 'updated', type: 'unix-seconds', order: 'unsorted' },
  childContext: (thing) => ({ org: thing.org, thing: thing.id }),
  toRecord: (item: unknown, c: Context): Thing => ({ org: c.org ?? '', id: text(field(item, 'id')), updated: number(field(item, 'updated')), last_seq: number(field(item, 'lastSeq')) }),
});

const events = defineStream({
  name: 'events',
  keyProperties: ['org', 'thing', 'seq'],
  parent: things,
  request: { endpoint: '/orgs/{org}/things/{thing}/events', path: (c) => `/orgs/${c.org}/things/${c.thing}/events`, paging: () => ({ kind: 'page-number', pageSize: 2 }), records: 'events' },
  cursor: { field: 'seq', type: 'sequence', order: 'newest-first', unchangedWhenParent: 'last_seq', isSettled: (event) => event.done },
  childContext: (event) => ({ org: event.org, thing: event.thing, seq: String(event.seq) }),
  statuses: { gone: [404] },
  toRecord: (item: unknown, c: Context): Event => ({ org: c.org ?? '', thing: c.thing ?? '', seq: number(field(item, 'seq')) ?? -1, done: field(item, 'done') !== false }),
});

const notes = defineStream({
  name: 'notes',
  keyProperties: ['org', 'thing', 'seq', 'n'],
  parent: events,
  request: { endpoint: '/notes', path: (c) => `/orgs/${c.org}/things/${c.thing}/events/${c.seq}/notes`, paging: () => ({ kind: 'cursor' }), records: 'notes' },
  toRecord: (item: unknown, c: Context): Note => ({ org: c.org ?? '', thing: c.thing ?? '', seq: Number(c.seq), n: number(field(item, 'n')) ?? -1 }),
});

const log = defineStream({
  name: 'log',
  keyProperties: ['org', 'id'],
  rootContext: (organization) => ({ org: organization }),
  request: {
    endpoint: '/orgs/{org}/log',
    path: (c) => `/orgs/${c.org}/log`,
    // The server filters by time: reading starts at the bookmark (less the look-back).
    query: (_c, _config, start) => (start === undefined ? {} : { since: start }),
    paging: () => ({ kind: 'cursor', tokenField: 'next', tokenParam: 'after' }),
    records: 'entries',
  },
  cursor: { field: 'at', type: 'rfc3339', order: 'oldest-first', lookbackSeconds: 60 },
  statuses: { unavailable: [403] },
  toRecord: (item: unknown, c: Context): Entry => ({ org: c.org ?? '', id: number(field(item, 'id')) ?? -1, at: text(field(item, 'at')) }),
});

const STREAMS: readonly Stream[] = [things, events, notes, log];

/** A fake API: things with events with notes, and a time-ordered log, per organization. */
class FakeApi {
  readonly requests: PageRequest[] = [];
  /** Answers that fail: path → error. */
  readonly failures = new Map<string, ApiError>();
  readonly things = new Map<string, { id: string; updated?: number; lastSeq?: number; events: { seq: number; done?: boolean }[] }[]>();
  readonly logs = new Map<string, { id: number; at: string }[]>();

  constructor(organizations: string[]) {
    for (const org of organizations) {
      this.things.set(org, [
        { id: 'a', updated: 1000, lastSeq: 3, events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] },
        { id: 'b', updated: 2000, lastSeq: 1, events: [{ seq: 1 }] },
        { id: 'c', events: [] },
      ]);
      this.logs.set(
        org,
        Array.from({ length: 5 }, (_, i) => ({ id: i + 1, at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString() })),
      );
    }
  }

  readonly fetch = (request: PageRequest): Promise<unknown> => {
    this.requests.push(request);
    const failure = this.failures.get(request.path);
    if (failure) return Promise.reject(failure);
    const [, , org = '', kind, thingId, sub, seq] = request.path.split('/');
    const offset = Number(request.query.after ?? 0);
    const page = <T>(items: T[], size: number, key: string) => ({ [key]: items.slice(offset, offset + size), ...(offset + size < items.length ? { next: String(offset + size) } : {}) });
    if (kind === 'log') {
      const since = typeof request.query.since === 'string' ? Date.parse(request.query.since) : 0;
      return Promise.resolve(page((this.logs.get(org) ?? []).filter((e) => Date.parse(e.at) >= since), 2, 'entries'));
    }
    const list = this.things.get(org) ?? [];
    if (!thingId) return Promise.resolve(page(list, 2, 'items'));
    const thing = list.find((t) => t.id === thingId);
    if (!thing) return Promise.reject(new ApiError({ message: `404 ${request.path}`, status: 404, failureType: 'config_error' }));
    if (sub === 'events' && seq === undefined) {
      const newestFirst = [...thing.events].sort((x, y) => y.seq - x.seq);
      const number = Number(request.query.page ?? 1);
      return Promise.resolve({ events: newestFirst.slice((number - 1) * 2, number * 2), total: newestFirst.length });
    }
    return Promise.resolve({ notes: [{ n: 1 }, { n: 2 }] });
  };

  paths(): string[] {
    return this.requests.map((r) => {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(r.query)) if (value !== undefined) query.set(key, String(value));
      const text = query.toString();
      return text === '' ? r.path : `${r.path}?${text}`;
    });
  }
}

const config: TapConfig = { ...parseConfig({ token: 't', organizations: ['o1', 'o2'], base_url: 'http://127.0.0.1:1', page_size: 2, max_concurrency: 3, max_attempts: 1, checkpoint_interval_seconds: 0 }, {}), requestTimeoutMs: 1000 };

const schemas = { schema: () => ({ type: 'object' }), validator: Object.assign(() => true, { errors: null }) };

function select(...names: [string, SelectedStream['syncMode']][]): SelectedStream[] {
  return names.map(([name, syncMode]) => ({ name, syncMode, excludedProperties: new Set<string>() }));
}

async function run(api: FakeApi, selection: SelectedStream[], state: StateStore, options: { signal?: AbortSignal; onEvent?: (event: SyncEvent) => void; now?: () => number } = {}) {
  const engine = new SyncEngine({ config, streams: STREAMS, selection, state, fetch: api.fetch, schemas: { schema: schemas.schema, validator: () => schemas.validator }, checkpointIntervalMs: 0, ...options });
  const out: SyncEvent[] = [];
  for await (const batch of engine.run()) {
    for (const event of batch) {
      out.push(event);
      options.onEvent?.(event);
    }
  }
  return { events: out, engine };
}

const records = (out: SyncEvent[], stream: string) => out.filter((e): e is Extract<SyncEvent, { kind: 'record' }> => e.kind === 'record' && e.stream === stream).map((e) => e.record);
const statuses = (out: SyncEvent[]) => out.filter((e): e is Extract<SyncEvent, { kind: 'status' }> => e.kind === 'status' && (e.status === 'COMPLETE' || e.status === 'INCOMPLETE')).map((e) => `${e.stream}:${e.status}`).sort();
const known = new Set(STREAMS.map((s) => s.name));
const ALL = select(['things', 'incremental'], ['events', 'incremental'], ['notes', 'full_refresh'], ['log', 'incremental']);

interface Item extends Record<string, unknown> {
  org: string;
  id: string;
}
const itemOf = (item: unknown, c: Context): Item => ({ org: c.org ?? '', id: text(field(item, 'id')) });
/** One record per organization, whose children read one document of it (`DOCUMENT`). */
const documentRoot = defineStream({
  name: 'root',
  keyProperties: ['org', 'id'],
  rootContext: (organization) => ({ org: organization }),
  request: { endpoint: '/orgs/{org}', path: (c) => `/orgs/${c.org}`, paging: () => ({ kind: 'none' }), records: '' },
  childContext: (r) => ({ org: r.org }),
  toRecord: (_item: unknown, c: Context): Item => ({ org: c.org ?? '', id: 'root' }),
});
const DOCUMENT = { endpoint: '/orgs/{org}/doc', path: (c: Context) => `/orgs/${c.org}/doc`, paging: () => ({ kind: 'none' as const }) };

/** A stream the API refuses where the organization's feature `gatedEnabled` is off. */
const gated = defineStream({
  name: 'gated',
  keyProperties: ['org', 'id'],
  rootContext: (organization) => ({ org: organization }),
  requires: 'gatedEnabled',
  request: { endpoint: '/orgs/{org}/gated', path: (c) => `/orgs/${c.org}/gated`, paging: () => ({ kind: 'none' }), records: 'rows' },
  toRecord: itemOf,
});

/** One engine run over these streams (organization o1 unless `extra` says otherwise), each selected full refresh: its events. */
async function syncOnce(streams: readonly Stream[], fetch: (request: PageRequest) => Promise<unknown>, extra: Partial<SyncOptions> = {}): Promise<SyncEvent[]> {
  const names = streams.filter((stream) => stream !== documentRoot).map((stream) => stream.name);
  const engine = new SyncEngine({
    config: { ...config, organizations: ['o1'] },
    streams,
    selection: select(...names.map((name): [string, SelectedStream['syncMode']] => [name, 'full_refresh'])),
    state: new StateStore(new Set(names)),
    fetch,
    schemas: { schema: schemas.schema, validator: () => schemas.validator },
    ...extra,
  });
  const out: SyncEvent[] = [];
  for await (const batch of engine.run()) out.push(...batch);
  return out;
}

void describe('the engine, in-process with a fake API', () => {
  void it('reads children and grandchildren under every record, and every record arrives once', async () => {
    const api = new FakeApi(['o1', 'o2']);
    const { events: out } = await run(api, ALL, new StateStore(known));
    assert.equal(records(out, 'things').length, 6);
    assert.equal(records(out, 'events').length, 8);
    assert.equal(records(out, 'notes').length, 16, 'two notes under each of the 8 events');
    assert.equal(records(out, 'log').length, 10);
    assert.deepEqual(statuses(out), ['events:COMPLETE', 'log:COMPLETE', 'notes:COMPLETE', 'things:COMPLETE']);
  });

  void it('a second run with nothing changed asks only for the root listings: the parents prove their children unchanged', async () => {
    const api = new FakeApi(['o1', 'o2']);
    const state = new StateStore(known);
    await run(api, ALL, state);
    api.requests.length = 0;
    const { events: out } = await run(api, ALL, state);
    assert.deepEqual(
      [...new Set(api.requests.map((r) => r.path.split('/').slice(3, 4).join('/')))].sort(),
      ['log', 'things'],
    );
    assert.equal(records(out, 'events').length, 0);
    // Inclusive bookmarks: the newest log entry of each organization comes again (the look-back brings the minute before it too).
    assert.ok(records(out, 'log').length <= 4);
  });

  void it('a child that was empty is not asked again while its parent shows nothing new', async () => {
    const api = new FakeApi(['o1']);
    const state = new StateStore(known);
    await run(api, select(['things', 'incremental'], ['events', 'incremental']), state);
    assert.equal(state.get('events', { org: 'o1', thing: 'c' })?.replication_key_value, 0);
    api.requests.length = 0;
    await run(api, select(['things', 'incremental'], ['events', 'incremental']), state);
    assert.ok(!api.requests.some((r) => r.path.includes('/things/c/')));
  });

  void it('the server-side start is the bookmark less the look-back, in the cursor form (RFC 3339)', async () => {
    const api = new FakeApi(['o1']);
    const state = new StateStore(known);
    await run(api, select(['log', 'incremental']), state);
    assert.equal(state.get('log', { org: 'o1' })?.replication_key_value, '2024-01-01T00:04:00.000Z');
    api.requests.length = 0;
    await run(api, select(['log', 'incremental']), state);
    assert.deepEqual(api.paths().filter((path) => path.startsWith('/orgs/o1/')), ['/orgs/o1/log?since=2024-01-01T00%3A03%3A00.000Z']);
  });

  void it('an oldest-first stream moves its bookmark after every page, so an interrupted read resumes where it stopped', async () => {
    const api = new FakeApi(['o1']);
    const state = new StateStore(known);
    const stop = new AbortController();
    let seen = 0;
    await run(api, select(['log', 'incremental']), state, {
      signal: stop.signal,
      onEvent: (event) => {
        if (event.kind === 'record' && ++seen === 3) stop.abort('test');
      },
    });
    // Pages of two: the first two pages (four entries) were read whole before the stop.
    const saved = state.get('log', { org: 'o1' })?.replication_key_value;
    assert.ok(saved === '2024-01-01T00:01:00.000Z' || saved === '2024-01-01T00:03:00.000Z', String(saved));
    api.requests.length = 0;
    const { events: out } = await run(api, select(['log', 'incremental']), state);
    assert.equal(api.requests[0]?.query.since, new Date(Date.parse(String(saved)) - 60_000).toISOString());
    assert.ok(records(out, 'log').some((r) => r.id === 5), 'the rest arrives');
  });

  void it('statuses: gone is a warning, unavailable is a warning, anything else fails that partition only', async () => {
    const api = new FakeApi(['o1', 'o2']);
    api.failures.set('/orgs/o1/things/a/events', new ApiError({ message: 'gone', status: 404, failureType: 'config_error' }));
    api.failures.set('/orgs/o2/log', new ApiError({ message: 'plan', status: 403, failureType: 'config_error' }));
    api.failures.set('/orgs/o2/things/b/events', new ApiError({ message: 'GET /x failed: 400 bad', status: 400, failureType: 'system_error' }));
    const { events: out } = await run(api, ALL, new StateStore(known));
    const logs = out.filter((e) => e.kind === 'log').map((e) => (e.kind === 'log' ? e.message : ''));
    assert.ok(logs.some((m) => m === 'events (o1/a): not found any more (deleted since it was listed); skipped'));
    assert.ok(logs.some((m) => m.startsWith('log (organization o2): not available (403)')));
    const errors = out.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));
    // The failed events partition makes its notes incomplete too: they hang off it.
    assert.deepEqual(errors.sort(), ['events (o2/b): GET /x failed: 400 bad', 'notes (o2/b): GET /x failed: 400 bad']);
    assert.deepEqual(statuses(out), ['events:INCOMPLETE', 'log:COMPLETE', 'notes:INCOMPLETE', 'things:COMPLETE']);
    assert.equal(records(out, 'events').filter((r) => r.org === 'o2' && r.thing === 'a').length, 3, 'the other partitions are read');
  });

  void it('a record whose key is not exact fails its partition; the records before it are emitted', async () => {
    const api = new FakeApi(['o1']);
    const thing = api.things.get('o1')?.[0];
    assert.ok(thing);
    thing.events = [{ seq: 3 }, { seq: 2 }, { seq: Number.NaN }];
    thing.lastSeq = 3;
    const { events: out } = await run(api, select(['things', 'incremental'], ['events', 'incremental']), new StateStore(known));
    const errors = out.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));
    assert.deepEqual(errors, ["events (o1/a): key property 'seq' is null; a record is never emitted with an invented key"]);
    assert.deepEqual(
      records(out, 'events').filter((r) => r.thing === 'a').map((r) => r.seq),
      [3, 2],
    );
  });

  void it('bookmarks in the future are set back, once per stream, in the cursor form', () => {
    const state = StateStore.parse(
      {
        bookmarks: {
          log: { partitions: [{ context: { org: 'o1' }, replication_key: 'at', replication_key_value: '2999-01-01T00:00:00Z' }] },
          events: { partitions: [{ context: { org: 'o1', thing: 'a' }, replication_key: 'seq', replication_key_value: 10 ** 12 }] },
        },
      },
      known,
    );
    const engine = new SyncEngine({ config, streams: STREAMS, selection: ALL, state, fetch: () => Promise.resolve({}), schemas: { schema: schemas.schema, validator: () => schemas.validator }, now: () => Date.UTC(2026, 0, 1) });
    const warnings = engine.prepareBookmarks();
    assert.deepEqual(warnings, ['state: 1 bookmark(s) of log are in the future (up to 2999-01-01T00:00:00.000Z); read from 5 minutes ago instead']);
    assert.equal(state.get('log', { org: 'o1' })?.replication_key_value, new Date(Date.UTC(2026, 0, 1) - 300_000).toISOString());
    assert.equal(state.get('events', { org: 'o1', thing: 'a' })?.replication_key_value, 10 ** 12, 'a sequence number has no future');
  });

  void it("the engine's source names no stream of the tap and no API field", () => {
    const dir = join(REPO_ROOT, 'src/core');
    // `organizations` is also the setting that lists what to sync, which the engine reads.
    const words = [...STREAM_NAMES.filter((name) => name !== 'organizations'), 'org_name', 'project_name', 'stack_name', 'last_update', 'start_time', 'stack', 'pulumi', '/api/'];
    const found = readdirSync(dir).flatMap((file) => {
      const source = readFileSync(join(dir, file), 'utf8').toLowerCase();
      return words.filter((word) => source.includes(word.toLowerCase())).map((word) => `${file}: ${word}`);
    });
    assert.deepEqual(found, []);
  });
});

void describe('the engine: review findings', () => {
  void it('a bookmark that is not of its cursor type is a config error before anything is read', () => {
    const state = StateStore.parse({ bookmarks: { events: { partitions: [{ context: { org: 'o1', thing: 'a' }, replication_key: 'seq', replication_key_value: '2024-01-01T00:00:00Z' }] } } }, known);
    const engine = new SyncEngine({ config, streams: STREAMS, selection: ALL, state, fetch: () => Promise.resolve({}), schemas: { schema: schemas.schema, validator: () => schemas.validator } });
    assert.throws(() => engine.prepareBookmarks(), /expected a sequence number, got "2024-01-01T00:00:00Z"/);
  });

  void it('empty pages that name a next page do not end a listing', async () => {
    const api = new FakeApi(['o1']);
    let call = 0;
    const fetch = (request: PageRequest): Promise<unknown> => (request.path === '/orgs/o1/log' && ++call <= 3 ? Promise.resolve({ entries: [], next: String(call * 100) }) : api.fetch(request));
    const engine = new SyncEngine({ config: { ...config, organizations: ['o1'] }, streams: STREAMS, selection: select(['log', 'incremental']), state: new StateStore(known), fetch, schemas: { schema: schemas.schema, validator: () => schemas.validator } });
    const out: SyncEvent[] = [];
    for await (const batch of engine.run()) out.push(...batch);
    assert.deepEqual(statuses(out), ['log:COMPLETE']);
  });

  void it('a stop starts no new request and crashes nothing', async () => {
    const api = new FakeApi(['o1', 'o2']);
    const stop = new AbortController();
    stop.abort('test');
    const { events: out } = await run(api, ALL, new StateStore(known), { signal: stop.signal });
    assert.equal(api.requests.length, 0);
    assert.ok(out.every((e) => e.kind !== 'record'));
  });
});

void describe('the engine: a next page named by URL', () => {
  void it('reads a listing whose pages name the next one by URL', async () => {
    interface Found extends Record<string, unknown> {
      org: string;
      urn: string;
    }
    const found = defineStream({
      name: 'found',
      keyProperties: ['org', 'urn'],
      rootContext: (organization) => ({ org: organization }),
      request: { endpoint: '/orgs/{org}/search', path: (c) => `/orgs/${c.org}/search`, paging: () => ({ kind: 'next-url', nextField: 'pagination.next', pageSizeParam: 'size', pageSize: 2 }), records: 'resources' },
      toRecord: (item: unknown, c: Context): Found => ({ org: c.org ?? '', urn: text(field(item, 'urn')) }),
    });
    const requests: PageRequest[] = [];
    const fetch = (request: PageRequest): Promise<unknown> => {
      requests.push(request);
      const page = request.url === undefined ? 1 : Number(new URL(request.url, 'http://x').searchParams.get('page'));
      const next = page < 3 ? `/orgs/o1/search?page=${page + 1}&size=2` : undefined;
      return Promise.resolve({ resources: [{ urn: `u${page}a` }, { urn: `u${page}b` }], pagination: next ? { next } : {} });
    };
    const out = await syncOnce([found], fetch);
    assert.equal(records(out, 'found').length, 6);
    assert.deepEqual(requests.map((r) => r.url ?? `${r.path}?size=${String(r.query.size)}`), ['/orgs/o1/search?size=2', '/orgs/o1/search?page=2&size=2', '/orgs/o1/search?page=3&size=2']);
  });

  void it('siblings that read one document share its request; a parent need not be registered; a map and an absent optional list are records', async () => {
    interface Group extends Record<string, unknown> {
      org: string;
      name: string;
    }
    interface Member extends Record<string, unknown> {
      org: string;
      group: string;
      login: string;
    }
    interface Label extends Record<string, unknown> {
      org: string;
      group: string;
      name: string;
      value: string | null;
    }
    // Read only for its children: not in the streams the engine is given.
    const groupNames = defineStream({
      name: 'group_names',
      keyProperties: ['org', 'name'],
      rootContext: (organization) => ({ org: organization }),
      request: { endpoint: '/orgs/{org}/groups', path: (c) => `/orgs/${c.org}/groups`, paging: () => ({ kind: 'none' }), records: 'groups' },
      childContext: (group) => ({ org: group.org, group: group.name }),
      toRecord: (item: unknown, c: Context): Group => ({ org: c.org ?? '', name: text(field(item, 'name')) }),
    });
    const detail = { endpoint: '/orgs/{org}/groups/{group}', path: (c: Context) => `/orgs/${c.org}/groups/${c.group}`, paging: () => ({ kind: 'none' as const }) };
    const groups = defineStream({
      name: 'groups',
      keyProperties: ['org', 'name'],
      parent: groupNames,
      request: { ...detail, records: '' },
      toRecord: (item: unknown, c: Context): Group => ({ org: c.org ?? '', name: text(field(item, 'name')) }),
    });
    const members = defineStream({
      name: 'members',
      keyProperties: ['org', 'group', 'login'],
      parent: groupNames,
      request: { ...detail, records: { key: 'members', optional: true } },
      toRecord: (item: unknown, c: Context): Member => ({ org: c.org ?? '', group: c.group ?? '', login: text(field(item, 'login')) }),
    });
    const labels = defineStream({
      name: 'labels',
      keyProperties: ['org', 'group', 'name'],
      parent: groupNames,
      request: { ...detail, records: { key: 'labels', optional: true, entries: { keyField: 'name', valueField: 'value' } } },
      toRecord: (item: unknown, c: Context): Label => ({ org: c.org ?? '', group: c.group ?? '', name: text(field(item, 'name')), value: typeof field(item, 'value') === 'string' ? text(field(item, 'value')) : null }),
    });
    const requests: string[] = [];
    const documents: Record<string, unknown> = {
      '/orgs/o1/groups/g1': { name: 'g1', members: [{ login: 'ann' }, { login: 'bob' }], labels: { tier: 'gold', __proto__: 'kept' } },
      '/orgs/o1/groups/g2': { name: 'g2' },
    };
    const fetch = (request: PageRequest): Promise<unknown> => {
      requests.push(request.path);
      if (request.path === '/orgs/o1/groups') return Promise.resolve({ groups: [{ name: 'g1' }, { name: 'g2' }] });
      const body = documents[request.path];
      return body === undefined ? Promise.reject(new Error(`unexpected ${request.path}`)) : Promise.resolve(JSON.parse(JSON.stringify(body)));
    };
    // JSON.parse keeps __proto__ as an own key, as the HTTP client does.
    documents['/orgs/o1/groups/g1'] = JSON.parse('{"name":"g1","members":[{"login":"ann"},{"login":"bob"}],"labels":{"tier":"gold","__proto__":"kept"}}');
    // The unregistered parent is not given: the engine reaches it through its children.
    const out = await syncOnce([groups, members, labels], fetch);
    assert.deepEqual(statuses(out), ['groups:COMPLETE', 'labels:COMPLETE', 'members:COMPLETE']);
    assert.deepEqual(requests, ['/orgs/o1/groups', '/orgs/o1/groups/g1', '/orgs/o1/groups/g2'], 'one request per document, whichever streams read it');
    assert.deepEqual(records(out, 'groups').map((g) => g.name), ['g1', 'g2']);
    assert.deepEqual(records(out, 'members').map((m) => `${String(m.group)}/${String(m.login)}`), ['g1/ann', 'g1/bob']);
    assert.deepEqual(records(out, 'labels').map((l) => `${String(l.name)}=${String(l.value)}`), ['tier=gold', '__proto__=kept']);
    assert.equal(records(out, 'group_names').length, 0, 'a parent read for its children emits nothing');
  });

  void it('a shared document that lacks what one sibling reads is asked for again by that sibling alone, which fails', async () => {
    const left = defineStream({ name: 'left', keyProperties: ['org', 'id'], parent: documentRoot, request: { ...DOCUMENT, records: 'left' }, toRecord: itemOf });
    const right = defineStream({ name: 'right', keyProperties: ['org', 'id'], parent: documentRoot, request: { ...DOCUMENT, records: 'right' }, toRecord: itemOf });
    const checks: string[] = [];
    const fetch = (request: PageRequest): Promise<unknown> => {
      if (request.path === '/orgs/o1') return Promise.resolve({});
      // The transport retries a malformed answer; here the check only has to see what every reader needs.
      const body = { left: [{ id: 'l1' }] };
      checks.push(request.malformation(body) ?? 'well-formed');
      return Promise.resolve(body);
    };
    const out = await syncOnce([documentRoot, left, right], fetch);
    assert.deepEqual(checks, ['well-formed', "'right' is missing"], 'the first reader is served; the other asks again, with its own check');
    assert.deepEqual(statuses(out), ['left:COMPLETE', 'right:INCOMPLETE']);
  });

  void it("a stream its organization's features turn off is skipped there without a request; the features document is asked for once", async () => {
    const about = defineStream({
      name: 'about',
      keyProperties: ['org', 'id'],
      rootContext: (organization) => ({ org: organization }),
      request: { endpoint: '/orgs/{org}/about', path: (c) => `/orgs/${c.org}/about`, paging: () => ({ kind: 'none' }), records: '' },
      toRecord: itemOf,
    });
    const requests: string[] = [];
    const fetch = (request: PageRequest): Promise<unknown> => {
      requests.push(request.path);
      const org = request.path.split('/')[2] ?? '';
      if (request.path.endsWith('/about')) return Promise.resolve({ id: org, features: { gatedEnabled: org === 'o1' } });
      return Promise.resolve({ rows: [{ id: 'r1' }] });
    };
    const out = await syncOnce([about, gated], fetch, {
      config,
      features: {
        endpoint: '/orgs/{org}/about',
        path: (organization) => `/orgs/${organization}/about`,
        flags: (body) => {
          const flags = field(body, 'features');
          return typeof flags === 'object' && flags !== null ? Object.fromEntries(Object.entries(flags)) : undefined;
        },
      },
    });
    assert.deepEqual(records(out, 'gated').map((r) => r.org), ['o1']);
    assert.deepEqual(records(out, 'about').map((r) => r.id).sort(), ['o1', 'o2'], 'the stream that reads the features document still gets it');
    assert.deepEqual([...requests].sort(), ['/orgs/o1/about', '/orgs/o1/gated', '/orgs/o2/about'], 'each document once; nothing asked where the feature is off');
    const warnings = out.filter((e) => e.kind === 'log' && e.level === 'warn').map((e) => (e.kind === 'log' ? e.message : ''));
    assert.deepEqual(warnings, ['gated (organization o2): not enabled for this organization (its features say gatedEnabled is false); skipped without a request']);
    assert.deepEqual(statuses(out), ['about:COMPLETE', 'gated:COMPLETE']);
  });

  void it('a time the API sent that the record cannot hold is null, said once per stream', async () => {
    interface Dated extends Record<string, unknown> {
      org: string;
      id: string;
      deleted_at: string | null;
    }
    const dated = defineStream({
      name: 'dated',
      keyProperties: ['org', 'id'],
      rootContext: (organization) => ({ org: organization }),
      request: { endpoint: '/orgs/{org}/dated', path: (c) => `/orgs/${c.org}/dated`, paging: () => ({ kind: 'none' }), records: 'rows' },
      toRecord: (item: unknown, c: Context): Dated => {
        const sent = field(item, 'deletedAt');
        const ms = typeof sent === 'string' ? Date.parse(sent) : Number.NaN;
        return { org: c.org ?? '', id: text(field(item, 'id')), deleted_at: Number.isNaN(ms) || ms < 0 ? null : new Date(ms).toISOString() };
      },
    });
    const rows = [{ id: 'a', deletedAt: '2024-01-01T00:00:00Z' }, { id: 'b', deletedAt: '' }, { id: 'c', deletedAt: '0001-01-01T00:00:00Z' }, { id: 'd', deletedAt: 'last Tuesday' }, { id: 'e', deletedAt: 'soon' }];
    const out = await syncOnce([dated], () => Promise.resolve({ rows }), {
      // The API's conventions (camelCase names, the zero time) come with the tap's streams.
      unreadableTime,
      schemas: { schema: () => ({ type: 'object', properties: { deleted_at: { type: ['null', 'string'], format: 'date-time' } } }), validator: () => schemas.validator },
    });
    assert.deepEqual(records(out, 'dated').map((r) => r.deleted_at), ['2024-01-01T00:00:00.000Z', null, null, null, null]);
    const warnings = out.filter((e) => e.kind === 'log' && e.level === 'warn').map((e) => (e.kind === 'log' ? e.message : ''));
    assert.deepEqual(warnings, ['dated (organization o1): deleted_at "last Tuesday" is not a time the tap can read; emitted as null; further values like it in dated are not reported']);
  });

  void it('a windowed stream reads window after window, checkpointing each; an interrupted run resumes at the window it was in', async () => {
    interface Logged extends Record<string, unknown> {
      org: string;
      id: number;
      at: number;
    }
    const NOW = 1_700_000_000;
    const logged = defineStream({
      name: 'logged',
      keyProperties: ['org', 'id'],
      rootContext: (organization) => ({ org: organization }),
      request: {
        endpoint: '/orgs/{org}/logged',
        path: (c) => `/orgs/${c.org}/logged`,
        query: (_c, _config, start, end) => ({ ...(start === undefined ? {} : { from: start }), ...(end === undefined ? {} : { to: end }) }),
        paging: () => ({ kind: 'cursor' }),
        records: 'events',
      },
      // Unsorted within a window: only a window read whole moves the bookmark.
      cursor: { field: 'at', type: 'unix-seconds', order: 'unsorted', windowSeconds: 1000 },
      toRecord: (item: unknown, c: Context): Logged => ({ org: c.org ?? '', id: number(field(item, 'id')) ?? -1, at: number(field(item, 'at')) ?? -1 }),
    });
    // One event every 100 s over the last 3,000 s, newest first.
    const events = Array.from({ length: 30 }, (_, i) => ({ id: i, at: NOW - 3000 + i * 100 })).reverse();
    const windowsAsked: string[] = [];
    let failFrom: number | undefined;
    const fetch = (request: PageRequest): Promise<unknown> => {
      const from = Number(request.query.from ?? 0);
      const to = Number(request.query.to ?? Number.MAX_SAFE_INTEGER);
      windowsAsked.push(`${from - NOW}..${to - NOW}`);
      if (failFrom !== undefined && from >= failFrom) return Promise.reject(new ApiError({ message: `503 ${request.path}`, status: 503, failureType: 'transient_error' }));
      return Promise.resolve({ events: events.filter((e) => e.at >= from && e.at < to) });
    };
    const stateWith = (at: number) => StateStore.parse({ bookmarks: { logged: { partitions: [{ context: { org: 'o1' }, replication_key: 'at', replication_key_value: at }] } } }, new Set(['logged']));
    const run = async (state: StateStore) => {
      const engine = new SyncEngine({
        config: { ...config, organizations: ['o1'] },
        streams: [logged],
        selection: select(['logged', 'incremental']),
        state,
        fetch,
        now: () => NOW * 1000,
        schemas: { schema: schemas.schema, validator: () => schemas.validator },
        checkpointIntervalMs: 0,
      });
      const out: SyncEvent[] = [];
      for await (const batch of engine.run()) out.push(...batch);
      return out;
    };
    const bookmarkOf = (state: StateStore) => state.get('logged', { org: 'o1' })?.replication_key_value;

    // The second window fails: the first is kept, the rest is read next time.
    const state = stateWith(NOW - 2500);
    failFrom = NOW - 1501;
    const first = await run(state);
    // Each window after the first starts a second early: a record on the edge is in one of them.
    assert.deepEqual(windowsAsked, ['-2500..-1500', '-1501..-500']);
    assert.deepEqual(records(first, 'logged').map((r) => r.at).sort(), events.filter((e) => e.at >= NOW - 2500 && e.at < NOW - 1500).map((e) => e.at).sort());
    assert.equal(bookmarkOf(state), NOW - 1500, 'the bookmark is the end of the last window read whole');
    assert.ok(first.filter((e) => e.kind === 'state').length >= 1, 'the window read whole is checkpointed');

    windowsAsked.length = 0;
    failFrom = undefined;
    const second = await run(state);
    assert.deepEqual(windowsAsked, ['-1500..-500', '-501..0']);
    assert.deepEqual(records(second, 'logged').map((r) => r.at).sort(), events.filter((e) => e.at >= NOW - 1500).map((e) => e.at).sort());
    assert.equal(bookmarkOf(state), NOW - 300, 'never past now less the clock margin: events are logged late');
  });

  void it('a shared document the first sibling takes for malformed is asked for again by a sibling that can read it', async () => {
    const strict = defineStream({ name: 'strict', keyProperties: ['org', 'id'], parent: documentRoot, request: { ...DOCUMENT, records: 'strict' }, toRecord: itemOf });
    const lenient = defineStream({ name: 'lenient', keyProperties: ['org', 'id'], parent: documentRoot, request: { ...DOCUMENT, records: { key: 'lenient', optional: true } }, toRecord: itemOf });
    let documentRequests = 0;
    const fetch = (request: PageRequest): Promise<unknown> => {
      if (request.path === '/orgs/o1') return Promise.resolve({});
      documentRequests++;
      const body = { lenient: [{ id: 'l1' }] };
      // As the HTTP client does: an answer its reader cannot read is a failed (200) request.
      const problem = request.malformation(body);
      return problem === undefined ? Promise.resolve(body) : Promise.reject(new ApiError({ message: `200 malformed: ${problem}`, status: 200, failureType: 'transient_error' }));
    };
    const out = await syncOnce([documentRoot, strict, lenient], fetch);
    assert.deepEqual(statuses(out), ['lenient:COMPLETE', 'strict:INCOMPLETE']);
    assert.deepEqual(records(out, 'lenient').map((r) => r.id), ['l1']);
    assert.equal(documentRequests, 2, 'the first request failed for its reader only; the other asked again');
  });

  void it("features that cannot be read are said once per organization, and the stream is read as usual", async () => {
    const asked: string[] = [];
    const fetch = (request: PageRequest): Promise<unknown> => {
      asked.push(`${request.stream} ${request.path}`);
      if (request.path.endsWith('/about')) return Promise.reject(new ApiError({ message: `GET ${request.path} failed: 503`, status: 503, failureType: 'transient_error' }));
      return Promise.resolve({ rows: [{ id: 'r1' }] });
    };
    const out = await syncOnce([gated], fetch, { config, features: { endpoint: '/orgs/{org}/about', path: (organization) => `/orgs/${organization}/about`, flags: () => undefined } });
    assert.deepEqual(records(out, 'gated').map((r) => r.org).sort(), ['o1', 'o2']);
    const warnings = out.filter((e) => e.kind === 'log' && e.level === 'warn').map((e) => (e.kind === 'log' ? e.message : ''));
    assert.deepEqual(warnings.sort(), [
      'organization o1: its features could not be read (GET /orgs/o1/about failed: 503); its plan-gated streams are read anyway',
      'organization o2: its features could not be read (GET /orgs/o2/about failed: 503); its plan-gated streams are read anyway',
    ]);
    assert.ok(asked.includes('gated /orgs/o1/about'), 'the features request is reported as the stream that needs it');
    assert.deepEqual(statuses(out), ['gated:COMPLETE']);
  });
});

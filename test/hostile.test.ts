// A hostile Pulumi API (emulator/hostile.ts): short, malformed and endless pages, bookmarks from the
// future, keys of the wrong type, names that look like path syntax, `__proto__` keys, a decompression
// bomb, a record nested too deep, many organizations, an API that echoes the token. Each case states
// what the tap must do, and ends within about 20 s even when the tap does not.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addPathSyntaxStack,
  compressedUpdates,
  endlessStackListing,
  growingUpdates,
  gzipBomb,
  isStackListingOf,
  isUpdatesOf,
  malformedPage,
  manyOrganizations,
  pageIgnoringUpdates,
  rateLimitFirstAttempt,
  RawJson,
  shortUpdatePages,
  stackListingPage,
  tokenEchoOnTeams,
  updateFields,
  type StackRef,
} from '../emulator/hostile.js';
import { PulumiEmulator, type EmulatorOptions, type RequestContext, type RequestLogEntry } from '../emulator/server.js';
import { REPO_ROOT, runCli, startCli, tempDir, writeJson, type CliResult } from './support/cli.js';
import { counts, DEFAULT_STREAMS, type Expected, expectedCounts, present } from './support/expect.js';
import { STREAMS } from '../src/streams/index.js';
import { checkAirbyteOutput, lastState, parseLines, recordsByStream, type AirbyteStreamStateEntry } from './support/protocol.js';

const catalog = join(REPO_ROOT, 'catalog.json');
const ALL = DEFAULT_STREAMS;
/** The default streams read per stack listed: a failed stack listing leaves each of them incomplete. */
const STACK_FAMILY = STREAMS.filter((stream) => stream.name === 'stacks' || stream.parent?.name === 'stacks')
  .map((stream) => stream.name)
  .filter((name) => DEFAULT_STREAMS.includes(name));
/**
 * Every case ends within this, whatever the tap does. A correct tap needs a fraction of it, but the
 * default streams are many, and cases run four at a time on two cores beside the rest of the suite.
 */
const RUN_LIMIT_MS = 40_000;
/** How far ahead of the clock a bookmark may be after a run. */
const FUTURE_MARGIN_SECONDS = 600;

type Data = Record<string, unknown>;

interface Setup {
  emulator: PulumiEmulator;
  dir: string;
  config: string;
}

async function start(options: EmulatorOptions, config: Record<string, unknown> = {}): Promise<Setup> {
  const emulator = await PulumiEmulator.start(options);
  const dir = await tempDir();
  const path = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, ...config });
  return { emulator, dir, config: path };
}

/** Starts an emulator for one case and closes it whatever the case does. */
async function withEmulator(options: EmulatorOptions, config: Record<string, unknown>, body: (setup: Setup) => Promise<void>): Promise<void> {
  const setup = await start(options, config);
  try {
    await body(setup);
  } finally {
    await setup.emulator.close();
  }
}

function read(config: string, state?: string, timeoutMs = RUN_LIMIT_MS, catalogPath = catalog): Promise<CliResult> {
  return runCli(['read', '--config', config, '--catalog', catalogPath, ...(state ? ['--state', state] : [])], { timeoutMs });
}

function airbyteTraces(stdout: string): { message: string; stream: string | undefined }[] {
  const lines = parseLines(stdout) as { type?: string; trace?: { type?: string; error?: { message?: string; stream_descriptor?: { name?: string } } } }[];
  return lines
    .filter((m) => m.type === 'TRACE' && m.trace?.type === 'ERROR')
    .map((m) => ({ message: m.trace?.error?.message ?? '', stream: m.trace?.error?.stream_descriptor?.name }));
}

function airbyteLogs(stdout: string, level: string): string[] {
  const lines = parseLines(stdout) as { type?: string; log?: { level?: string; message?: string } }[];
  return lines.filter((m) => m.type === 'LOG' && m.log?.level === level).map((m) => m.log?.message ?? '');
}

/** The one stack every case points at: the organization's stack with the longest history. */
function longestStack(emulator: PulumiEmulator, org: string): StackRef {
  const ranked = emulator
    .stacks(org)
    .map((s) => ({ org, project: s.projectName, stack: s.stackName, updates: emulator.updates(org, s.projectName, s.stackName).length }))
    .sort((a, b) => b.updates - a.updates);
  const top = ranked[0];
  assert.ok(top && top.updates > 0, `organization ${org} has a stack with updates`);
  return { org, project: top.project, stack: top.stack };
}

function partitionName(target: StackRef): string {
  return `${target.org}/${target.project}/${target.stack}`;
}

function isOf(record: Data, target: StackRef): boolean {
  return record.org_name === target.org && record.project_name === target.project && record.stack_name === target.stack;
}

function updatesOf(stdout: string, target: StackRef, protocol: 'airbyte' | 'singer' = 'airbyte'): Data[] {
  return (recordsByStream(stdout, protocol).get('stack_updates') ?? []).filter((u) => isOf(u, target));
}

function trueVersions(emulator: PulumiEmulator, target: StackRef): number[] {
  return emulator.updates(target.org, target.project, target.stack).map((u) => u.version);
}

/** What a complete sync emits, less the history of the stacks given. */
function expectedWithout(emulator: PulumiEmulator, ...stacks: StackRef[]): Expected {
  const expected = expectedCounts(emulator);
  const missing = stacks.reduce((n, s) => n + trueVersions(emulator, s).length, 0);
  return { ...expected, stack_updates: expected.stack_updates - missing };
}

/** Records per stream, with the given stacks' histories left out. */
function countsWithout(stdout: string, protocol: 'airbyte' | 'singer', ...stacks: StackRef[]): Record<string, number> {
  const byStream = recordsByStream(stdout, protocol);
  const updates = byStream.get('stack_updates') ?? [];
  byStream.set(
    'stack_updates',
    updates.filter((u) => !stacks.some((s) => isOf(u, s))),
  );
  return counts(byStream);
}

/** Requests whose path and query are those of `entry`. */
function sameUrl(requests: readonly RequestLogEntry[], entry: RequestLogEntry): number {
  const url = (r: RequestLogEntry) => `${r.method} ${r.path} ${JSON.stringify(Object.entries(r.query).sort())}`;
  return requests.filter((r) => url(r) === url(entry)).length;
}

/** The request log entries `match` picks, as a context-shaped view of each. */
function requestsWhere(requests: readonly RequestLogEntry[], match: (ctx: RequestContext) => boolean): RequestLogEntry[] {
  return requests.filter((r) => match({ method: r.method, path: r.path, segments: r.path.split('/').slice(1), query: r.query, headers: {}, requestId: '', sequence: 0 }));
}

/** Whether a request went to exactly these (decoded) path segments. */
function requested(emulator: PulumiEmulator, segments: readonly string[]): boolean {
  return emulator.requests.some((r) => JSON.stringify(r.path.split('/').slice(1)) === JSON.stringify(segments));
}

function isData(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Visits every bookmark of a stream state, whichever shape it has: Meltano-style `partitions`
 * ({context, replication_key_value}), Airbyte CDK-style `states` ({partition, cursor: {key: value}}),
 * and stream-wide values (`replication_key_value`, `state`). `context` is undefined for the latter.
 */
function forEachBookmark(streamState: Data, visit: (holder: Data, key: string, context: Data | undefined) => void): void {
  const { partitions, states, state } = streamState;
  if (Array.isArray(partitions)) for (const p of partitions) if (isData(p) && isData(p.context)) visit(p, 'replication_key_value', p.context);
  if (Array.isArray(states)) {
    for (const p of states) if (isData(p) && isData(p.cursor) && isData(p.partition)) for (const key of Object.keys(p.cursor)) visit(p.cursor, key, p.partition);
  }
  if ('replication_key_value' in streamState) visit(streamState, 'replication_key_value', undefined);
  if (isData(state)) for (const key of Object.keys(state)) visit(state, key, undefined);
}

function streamStateOf(state: readonly AirbyteStreamStateEntry[], stream: string): Data {
  return state.find((e) => e.stream.stream_descriptor.name === stream)?.stream.stream_state ?? {};
}

/** The bookmarks of one organization's partitions of a stream, by partition. */
function partitionsOfOrg(state: readonly AirbyteStreamStateEntry[], stream: string, org: string): Map<string, unknown> {
  const found = new Map<string, unknown>();
  forEachBookmark(streamStateOf(state, stream), (holder, key, context) => {
    if (context?.org_name === org) found.set(JSON.stringify(Object.entries(context).sort()), holder[key]);
  });
  return found;
}

function bookmarkOf(state: readonly AirbyteStreamStateEntry[], target: StackRef): unknown {
  let found: unknown;
  forEachBookmark(streamStateOf(state, 'stack_updates'), (holder, key, context) => {
    if (context && isOf(context, target)) found = holder[key];
  });
  return found;
}

/** Every bookmark of the incremental streams, stream-wide ones included. */
function allBookmarks(state: readonly AirbyteStreamStateEntry[]): unknown[] {
  const values: unknown[] = [];
  for (const stream of ['stacks', 'stack_updates']) forEachBookmark(streamStateOf(state, stream), (holder, key) => values.push(holder[key]));
  return values;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

interface BoundedResult extends CliResult {
  /** Why the test stopped the run, if it had to. */
  stoppedBy?: string;
}

/**
 * Runs the CLI until it exits by itself, RUN_LIMIT_MS passes, or `budget` records match `counted`;
 * then it is killed, so a tap that pages forever fails the case quickly instead of filling memory.
 */
async function readBounded(config: string, counted: (stream: string, data: Data) => boolean, budget: number): Promise<BoundedResult> {
  const run = startCli(['read', '--config', config, '--catalog', catalog]);
  let stoppedBy: string | undefined;
  const timer = setTimeout(() => {
    stoppedBy = `still running after ${RUN_LIMIT_MS / 1000} s`;
    run.child.kill('SIGKILL');
  }, RUN_LIMIT_MS);
  let matched = 0;
  const started = Date.now();
  for await (const line of run.lines) {
    if (!line.startsWith('{"type":"RECORD"')) continue;
    const record = (JSON.parse(line) as { record: { stream: string; data: Data } }).record;
    if (counted(record.stream, record.data) && ++matched >= budget && stoppedBy === undefined) {
      stoppedBy = `${budget} records within ${((Date.now() - started) / 1000).toFixed(1)} s`;
      run.child.kill('SIGKILL');
    }
  }
  clearTimeout(timer);
  const result = await run.done;
  return stoppedBy === undefined ? result : { ...result, stoppedBy };
}

// ---- 2: malformed pages

const MALFORMED_OPTIONS: EmulatorOptions = { orgs: ['acme', 'globex'], stacksPerOrg: 6, updatesPerStack: 6 };
const MALFORMED_CONFIG = { page_size: 2, max_attempts: 3 };

/**
 * A clean sync, then changes (`prepare`, which also picks the malformed page) and a sync from the clean
 * sync's state. Checks what every malformed case shares; returns the states and run for the rest.
 */
async function malformedCase(
  setup: Setup,
  failed: string[],
  prepare: () => { match: (ctx: RequestContext) => boolean; body: string },
): Promise<{ input: AirbyteStreamStateEntry[]; output: AirbyteStreamStateEntry[]; result: CliResult }> {
  const { emulator, dir } = setup;
  const clean = await read(setup.config);
  assert.equal(clean.code, 0, clean.stdout.slice(-2000));
  const input = lastState(clean.stdout, 'airbyte');
  assert.ok(partitionsOfOrg(input, 'stack_updates', 'acme').size > 1 && partitionsOfOrg(input, 'stacks', 'acme').size === 1, "the clean sync's state holds bookmarks of acme");
  const state = await writeJson(dir, 'state.json', input);
  // The other organization changes too: its new update must still arrive.
  const other = longestStack(emulator, 'globex');
  const otherAdded = emulator.addUpdate(other.org, other.project, other.stack);
  const { match, body } = prepare();
  emulator.beforeRoute = malformedPage(match, body);
  emulator.resetRequests();

  const result = await read(setup.config, state);
  const [malformed] = requestsWhere(emulator.requests, match);
  assert.ok(malformed, 'the malformed page was requested');
  assert.equal(sameUrl(emulator.requests, malformed), 3, 'the malformed page is asked max_attempts (3) times');
  assert.equal(result.code, 1, 'the run fails');
  assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: failed }), []);
  const errors = airbyteTraces(result.stdout);
  assert.ok(errors.length > 0 && errors.every((e) => /malformed/i.test(e.message) && !e.message.includes('globex')), JSON.stringify(errors));
  assert.ok(updatesOf(result.stdout, other).some((u) => u.version === otherAdded.version), 'the other organization still syncs its new update');
  const output = lastState(result.stdout, 'airbyte');
  const kept = partitionsOfOrg(output, 'stack_updates', 'acme');
  for (const [key] of partitionsOfOrg(input, 'stack_updates', 'acme')) assert.ok(kept.has(key), `the bookmark of ${key} is kept`);
  return { input, output, result };
}

// ---- 4: keys and cursors

const CURSOR_OPTIONS: EmulatorOptions = { orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 10 };
/** The update the cursor cases alter: the fourth newest of a history of ten. */
const ALTERED_VERSION = 7;

/** A sync with update 7 of acme's longest stack altered by `fields`; every other stack must sync completely. */
async function alteredUpdate(
  fields: { element?: Data; info?: Data },
  check: (result: CliResult, records: Data[], target: StackRef, emulator: PulumiEmulator) => void,
): Promise<void> {
  await withEmulator(CURSOR_OPTIONS, {}, async ({ emulator, config }) => {
    const target = longestStack(emulator, 'acme');
    assert.equal(trueVersions(emulator, target)[3], ALTERED_VERSION);
    emulator.beforeRoute = updateFields(target, ALTERED_VERSION, fields);
    const result = await read(config);
    check(result, updatesOf(result.stdout, target), target, emulator);
    assert.deepEqual(countsWithout(result.stdout, 'airbyte', target), { ...expectedWithout(emulator, target) }, 'every other stack syncs completely');
  });
}

/** Exit 1, stack_updates INCOMPLETE, an ERROR trace naming the stack. */
function assertPartitionFailed(result: CliResult, target: StackRef): void {
  assert.equal(result.code, 1);
  assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: ['stack_updates'] }), []);
  assert.ok(airbyteTraces(result.stdout).some((e) => e.stream === 'stack_updates' && e.message.includes(partitionName(target))), 'the error names the stack');
}

// ---- 11: the token

// Not shaped like a Pulumi token (only redaction by value can hide it), with a quote and a backslash.
const TOKEN = 'pul-0123"ab\\cd-hostile-Secret-77';
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
const base64 = (text: string) => Buffer.from(text).toString('base64');
const TOKEN_FORMS: Record<string, string> = {
  raw: TOKEN,
  'JSON-escaped': jsonEscaped(TOKEN),
  'JSON-escaped twice': jsonEscaped(jsonEscaped(TOKEN)),
  uppercase: TOKEN.toUpperCase(),
  'uppercase, JSON-escaped': jsonEscaped(TOKEN.toUpperCase()),
  'base64 of the header': base64(`token ${TOKEN}`),
  // 'token ' and the token's first 8 characters are 14 bytes: the first 18 base64 digits are theirs alone.
  'base64 of the header, cut': base64(`token ${TOKEN.slice(0, 8)}`).slice(0, 18),
};

function assertNoLeak(result: CliResult): void {
  for (const [channel, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
    for (const [form, needle] of Object.entries(TOKEN_FORMS)) assert.ok(!text.includes(needle), `the token, ${form}, is on ${channel}`);
    // Any 8 or more characters from the token's start, in any case: the first 8 carry nothing to escape.
    assert.ok(!text.toLowerCase().includes(TOKEN.slice(0, 8).toLowerCase()), `a prefix of the token is on ${channel}`);
  }
}

const TOKEN_ECHOES: Record<string, (token: string) => string> = {
  'in uppercase': (token) => JSON.stringify({ code: 400, message: `unknown team filter for TOKEN ${token.toUpperCase()}` }),
  'as base64 of the header': (token) => JSON.stringify({ code: 400, message: `bad request, authorization was ${base64(`token ${token}`)}` }),
  'JSON-escaped inside the message': (token) => JSON.stringify({ code: 400, message: `bad request: headers {"authorization":${JSON.stringify(`token ${token}`)}}` }),
  'after 190 characters, so a 200-character cut leaves its start': (token) => JSON.stringify({ code: 400, message: `${'x'.repeat(189)} ${token} was refused` }),
};

// ---- 7: endless paging

const RECORD_BUDGET = 5000;

// Cases run four at a time. The largest sync starts first, and the cases that keep a broken tap
// busy longest come last, so that each shows its own symptom within its time limit.
void describe('a hostile Pulumi API', { concurrency: 4 }, () => {
  void it('10. 300 organizations: the state output grows linearly', () =>
    withEmulator(manyOrganizations(300), {}, async ({ config, dir }) => {
      // The incremental streams selected by default: theirs is the state that grows with the
      // organizations (the full-refresh ones would only add requests and records to wait for).
      const incremental = await writeJson(dir, 'incremental.json', {
        streams: STREAMS.filter((stream) => stream.selectedByDefault && stream.cursor).map((stream) => ({
          stream: { name: stream.name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
          sync_mode: 'incremental',
          destination_sync_mode: 'append_dedup',
        })),
      });
      const started = Date.now();
      // Thousands of requests: more time than the other cases on a busy machine, still bounded.
      const result = await read(config, undefined, 2 * RUN_LIMIT_MS, incremental);
      const seconds = (Date.now() - started) / 1000;
      const lines = result.stdout.split('\n');
      const bytes = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).reduce((n, l) => n + Buffer.byteLength(l), 0);
      const stateBytes = bytes('{"type":"STATE"');
      const recordBytes = bytes('{"type":"RECORD"');
      assert.ok(stateBytes < 3 * recordBytes, `STATE ${stateBytes} bytes against RECORD ${recordBytes} bytes`);
      const states = new Map<string, number>();
      for (const entry of parseLines(result.stdout) as { type?: string; state?: { stream?: { stream_descriptor?: { name?: string } } } }[]) {
        const stream = entry.state?.stream?.stream_descriptor?.name;
        if (entry.type === 'STATE' && stream) states.set(stream, (states.get(stream) ?? 0) + 1);
      }
      const allowed = 4 + Math.ceil(seconds / 5);
      for (const [stream, n] of states) assert.ok(n <= allowed, `${stream}: ${n} STATE messages in ${seconds.toFixed(1)} s (at most ${allowed})`);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
    }));

  for (const itemsPerPage of [true, false]) {
    void it(`1${itemsPerPage ? 'a' : 'b'}. short pages (10 items whatever is asked, ${itemsPerPage ? 'with' : 'without'} itemsPerPage) still give the whole history`, () =>
      withEmulator({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 25, ...shortUpdatePages(10, { itemsPerPage }) }, {}, async ({ emulator, config }) => {
        const target = longestStack(emulator, 'acme');
        assert.equal(trueVersions(emulator, target).length, 25);
        const result = await read(config);
        assert.deepEqual(updatesOf(result.stdout, target).map((u) => u.version), trueVersions(emulator, target), 'all 25 updates of the stack, newest first');
        assert.equal(result.code, 0, result.stdout.slice(-2000));
        assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), present(expectedCounts(emulator)));
      }));
  }

  void it('2a. {"updates": null} on page 2 of a stack history is retried, then fails the stack; its bookmark stays', () =>
    withEmulator(MALFORMED_OPTIONS, MALFORMED_CONFIG, async (setup) => {
      const target = longestStack(setup.emulator, 'acme');
      const { input, output, result } = await malformedCase(setup, ['stack_updates'], () => {
        // Four new updates: page 1 holds two, page 2 (malformed) the other two.
        for (let i = 0; i < 4; i++) setup.emulator.addUpdate(target.org, target.project, target.stack);
        return { match: (ctx) => isUpdatesOf(ctx, target) && ctx.query.page === '2', body: '{"updates": null, "total": 5}' };
      });
      assert.ok(airbyteTraces(result.stdout).some((e) => e.stream === 'stack_updates' && e.message.includes(partitionName(target))), 'the error names the stack');
      assert.equal(bookmarkOf(output, target), bookmarkOf(input, target), 'the stack bookmark stays before the updates not read');
    }));

  for (const [label, name, page, body] of [
    ['2b', '{"stacks": null} on page 2', 2, '{"stacks": null}'],
    ['2c', '{} on page 1', 1, '{}'],
  ] as const) {
    void it(`${label}. ${name} of a stack listing is retried, then fails the organization; no bookmark moves or goes`, () =>
      withEmulator(MALFORMED_OPTIONS, MALFORMED_CONFIG, async (setup) => {
        const { input, output, result } = await malformedCase(setup, STACK_FAMILY, () => {
          // A stack on the first page changes: a listing taken for complete would move the bookmark.
          const first = setup.emulator.stacks('acme')[0];
          assert.ok(first);
          setup.emulator.addUpdate('acme', first.projectName, first.stackName);
          return { match: (ctx) => isStackListingOf(ctx, 'acme') && stackListingPage(ctx) === page, body };
        });
        for (const stream of ['stacks', 'stack_updates']) {
          assert.ok(airbyteTraces(result.stdout).some((e) => e.stream === stream && e.message.includes('organization acme')), `${stream} names organization acme`);
        }
        assert.deepEqual(partitionsOfOrg(output, 'stacks', 'acme'), partitionsOfOrg(input, 'stacks', 'acme'), 'the stacks bookmark does not move');
      }));
  }

  void it('3a. a startTime in milliseconds is emitted with one warning, and does not pin the bookmark', () =>
    withEmulator({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 5 }, {}, async ({ emulator, dir, config }) => {
      const target = longestStack(emulator, 'acme');
      const [newest] = trueVersions(emulator, target);
      assert.ok(newest !== undefined);
      const milliseconds = Date.now();
      emulator.beforeRoute = updateFields(target, newest, { info: { startTime: milliseconds } });
      const started = Date.now();
      const first = await read(config);
      assert.equal(first.code, 0, first.stdout.slice(-2000));
      assert.ok(updatesOf(first.stdout, target).some((u) => u.version === newest), 'the record is emitted');
      const warnings = airbyteLogs(first.stdout, 'WARN').filter((m) => m.includes(String(milliseconds)));
      assert.equal(warnings.length, 1, 'one warning names the out-of-range value');
      const output = lastState(first.stdout, 'airbyte');
      const bookmark = bookmarkOf(output, target);
      assert.ok(typeof bookmark === 'number' && bookmark <= nowSeconds() + FUTURE_MARGIN_SECONDS, `the stack's bookmark (${String(bookmark)}) is in the state and not in the future`);

      await sleep(Math.max(0, started + 1100 - Date.now()));
      const added = emulator.addUpdate(target.org, target.project, target.stack);
      const second = await read(config, await writeJson(dir, 'state.json', output));
      assert.equal(second.code, 0, second.stdout.slice(-2000));
      assert.ok(updatesOf(second.stdout, target).some((u) => u.version === added.version), 'the next update is emitted');
    }));

  void it('3b. an input state whose bookmarks are all 9999999999 is clamped with a warning', () =>
    withEmulator({ orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 4 }, {}, async ({ emulator, dir, config }) => {
      const clean = await read(config);
      assert.equal(clean.code, 0, clean.stdout.slice(-2000));
      const future = lastState(clean.stdout, 'airbyte').map((entry) => {
        const state = structuredClone(entry);
        forEachBookmark(state.stream.stream_state, (holder, key) => (holder[key] = 9_999_999_999));
        return state;
      });
      assert.ok(partitionsOfOrg(future, 'stack_updates', 'acme').size > 1 && partitionsOfOrg(future, 'stacks', 'acme').size === 1, "the clean sync's state holds bookmarks of acme");
      const started = Date.now();
      const hostile = await read(config, await writeJson(dir, 'future.json', future));
      assert.equal(hostile.code, 0, hostile.stdout.slice(-2000));
      assert.ok(airbyteLogs(hostile.stdout, 'WARN').some((m) => /future/i.test(m)), 'a warning says the state holds bookmarks from the future');
      const clamped = lastState(hostile.stdout, 'airbyte');
      const bookmarks = allBookmarks(clamped);
      assert.ok(bookmarks.length > 0 && bookmarks.every((v) => Number(v) <= nowSeconds() + FUTURE_MARGIN_SECONDS), `bookmarks clamped: ${bookmarks.join(', ')}`);

      await sleep(Math.max(0, started + 1100 - Date.now()));
      const target = longestStack(emulator, 'acme');
      const added = emulator.addUpdate(target.org, target.project, target.stack);
      const next = await read(config, await writeJson(dir, 'clamped.json', clamped));
      assert.equal(next.code, 0, next.stdout.slice(-2000));
      assert.ok(updatesOf(next.stdout, target).some((u) => u.version === added.version), 'the new update is emitted');
    }));

  void it('4a. version "7" becomes the number 7', () =>
    alteredUpdate({ element: { version: '7' }, info: { version: '7' } }, (result, records, target, emulator) => {
      assert.deepEqual(records.map((r) => r.version), trueVersions(emulator, target));
      assert.equal(result.code, 0, result.stdout.slice(-2000));
    }));

  for (const [label, name, raw] of [
    ['4b', 'version "abc"', '"abc"'],
    ['4c', 'version 9007199254740993, beyond 2^53,', '9007199254740993'],
  ] as const) {
    void it(`${label}. ${name} fails its stack, with no invented version`, () =>
      alteredUpdate({ element: { version: new RawJson(raw) }, info: { version: new RawJson(raw) } }, (result, records, target, emulator) => {
        const valid = new Set(trueVersions(emulator, target).filter((v) => v !== ALTERED_VERSION));
        assert.deepEqual(records.filter((r) => !valid.has(Number(r.version))), [], 'no record with an invented version');
        assertPartitionFailed(result, target);
      }));
  }

  void it('4d. startTime "1700000000" becomes 1700000000', () =>
    alteredUpdate({ info: { startTime: '1700000000' } }, (result, records) => {
      assert.equal(records.find((r) => r.version === ALTERED_VERSION)?.start_time, 1_700_000_000);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
    }));

  void it('4e. startTime "yesterday" fails its stack', () =>
    alteredUpdate({ info: { startTime: 'yesterday' } }, (result, records, target) => {
      assert.equal(records.find((r) => r.version === ALTERED_VERSION), undefined, 'no record without its start time');
      assertPartitionFailed(result, target);
    }));

  void it("5a. a project named '..' with a stack named '.' is read at its own path", () =>
    withEmulator({ orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 3 }, {}, async ({ emulator, config }) => {
      const target = addPathSyntaxStack(emulator, 'acme', 3);
      const result = await read(config);
      assert.ok(requested(emulator, ['api', 'stacks', 'acme', '..', '.', 'updates']), `that stack's history was asked for; requests: ${emulator.requests.map((r) => r.path).join(' ')}`);
      assert.deepEqual(updatesOf(result.stdout, target).map((u) => u.version), [3, 2, 1]);
      assert.ok(!/deleted since it was listed/.test(result.stdout), 'no stack is taken for deleted');
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), present(expectedCounts(emulator)));
    }));

  void it("5b. an organization named '..' is read at its own paths", () =>
    withEmulator({ orgs: ['..', 'acme'], stacksPerOrg: 3, updatesPerStack: 3 }, {}, async ({ emulator, config }) => {
      const result = await read(config);
      assert.ok(requested(emulator, ['api', 'orgs', '..', 'members']), `the members of '..' were asked for; requests: ${emulator.requests.map((r) => r.path).join(' ')}`);
      assert.ok(!/deleted since it was listed/.test(result.stdout), 'no stack is taken for deleted');
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL }), []);
      assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), present(expectedCounts(emulator)));
    }));

  void it('6. "__proto__" keys of data maps and API objects survive', () =>
    withEmulator({ orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 3 }, {}, async ({ emulator, config }) => {
      const target = longestStack(emulator, 'acme');
      const [version] = trueVersions(emulator, target);
      assert.ok(version !== undefined);
      const configValue = { string: 'polluted', secret: false, object: false };
      emulator.beforeRoute = updateFields(target, version, {
        info: {
          config: new RawJson(`{"__proto__":${JSON.stringify(configValue)},"app:region":{"string":"us-west-2","secret":false,"object":false}}`),
          resourceChanges: new RawJson('{"__proto__":3,"same":null}'),
        },
        element: { requestedBy: new RawJson('{"name":"Proto","githubLogin":"proto","avatarUrl":"https://avatars.example.com/u/proto","__proto__":{"admin":true}}') },
      });
      const result = await read(config);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      const record = updatesOf(result.stdout, target).find((u) => u.version === version);
      assert.ok(record);
      for (const field of ['config', 'resource_changes', 'requested_by']) {
        const value = record[field];
        assert.ok(typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__'), `${field} keeps its "__proto__" key: ${JSON.stringify(value)}`);
      }
      assert.deepEqual(Object.getOwnPropertyDescriptor(record.config, '__proto__')?.value, configValue);
      assert.equal(Object.getOwnPropertyDescriptor(record.resource_changes, '__proto__')?.value, 3);
    }));

  void it('9. a record nested 5,000 levels deep does not end the run', () =>
    withEmulator({ orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 3 }, {}, async ({ emulator, config }) => {
      const target = longestStack(emulator, 'acme');
      const [version] = trueVersions(emulator, target);
      assert.ok(version !== undefined);
      const depth = 5000;
      const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      emulator.beforeRoute = updateFields(target, version, {
        element: { policyPacks: new RawJson(`[{"name":"deep","displayName":"Deep","version":1,"versionTag":"1.0.0","config":${deep}}]`) },
      });
      const result = await read(config);
      assert.ok(!/Maximum call stack/i.test(result.stdout + result.stderr), 'no stack overflow');
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: result.code === 0 ? [] : ['stack_updates'] }), []);
      assert.deepEqual(countsWithout(result.stdout, 'airbyte', target), { ...expectedWithout(emulator, target) }, 'every other stack and organization syncs');
      if (result.code === 0) {
        // Emitted: then intact, all 5,000 levels.
        const record = updatesOf(result.stdout, target).find((u) => u.version === version);
        let level: unknown = (record?.policy_packs as Data[] | undefined)?.[0]?.config;
        let levels = 0;
        while (typeof level === 'object' && level !== null && 'a' in level) {
          level = level.a;
          levels++;
        }
        assert.equal(levels, depth);
      } else {
        assertPartitionFailed(result, target);
      }
    }));

  for (const [name, echo] of Object.entries(TOKEN_ECHOES)) {
    void it(`11. the token stays secret when an error body echoes it ${name}`, () =>
      withEmulator({ token: TOKEN, orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 2, beforeRoute: tokenEchoOnTeams('acme', echo) }, {}, async ({ config }) => {
        const airbyte = await read(config);
        const singer = await runCli(['--config', config], { timeoutMs: RUN_LIMIT_MS });
        for (const result of [airbyte, singer]) {
          assert.equal(result.code, 1, 'the teams stream fails on the 400');
          assertNoLeak(result);
        }
        assert.match(airbyte.stdout, /organization_teams \(organization acme\)/);
        assert.match(singer.stderr, /organization_teams \(organization acme\)/);
      }));
  }

  void it('11. a token with a trailing newline in the config file works', () =>
    withEmulator({ token: TOKEN, orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 2 }, {}, async ({ emulator, dir }) => {
      const config = await writeJson(dir, 'newline.json', { token: `${TOKEN}\n`, organizations: ['acme'], base_url: emulator.url });
      const result = await read(config);
      assertNoLeak(result);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), present(expectedCounts(emulator)));
    }));

  void it('12a. rate-limit waits in the summary do not exceed the run time', () =>
    withEmulator(
      { orgs: ['acme', 'globex'], stacksPerOrg: 12, updatesPerStack: 2, beforeRoute: rateLimitFirstAttempt((ctx) => ctx.segments.at(-1) === 'updates', 1) },
      { max_concurrency: 16 },
      async ({ config }) => {
        const result = await runCli(['--config', config], { timeoutMs: RUN_LIMIT_MS });
        assert.equal(result.code, 0, result.stderr.slice(-2000));
        const summary = /rate-limit waits ([\d.]+) s, .*?; ([\d.]+) s, cpu/.exec(result.stderr);
        assert.ok(summary, `a summary line: ${result.stderr.slice(-1000)}`);
        const [waits, elapsed] = [Number(summary[1]), Number(summary[2])];
        assert.ok(waits > 0, 'the run met rate limits');
        assert.ok(waits <= elapsed, `rate-limit waits ${waits} s within a run of ${elapsed} s`);
      },
    ));

  void it('12b. a base_url with an uppercase scheme is accepted', () =>
    withEmulator({ orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 2 }, {}, async ({ emulator, dir }) => {
      const config = await writeJson(dir, 'upper.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url.replace('http://', 'HTTP://') });
      const result = await read(config);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), present(expectedCounts(emulator)));
    }));

  void it('7a. a stack listing with ever-new continuation tokens and the same stacks fails the organization', () =>
    withEmulator({ orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 3 }, {}, async ({ emulator, config }) => {
      emulator.beforeRoute = endlessStackListing('acme', emulator.stacks('acme').slice(0, 2));
      const result = await readBounded(config, (_stream, data) => data.org_name === 'acme', RECORD_BUDGET);
      assert.equal(result.stoppedBy, undefined, `the run ends by itself with fewer than ${RECORD_BUDGET} records of acme`);
      assert.equal(result.code, 1);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: STACK_FAMILY }), []);
      assert.ok(
        airbyteTraces(result.stdout).some((e) => e.stream === 'stacks' && e.message.includes('organization acme') && /repeat|already|same/i.test(e.message)),
        'the error says the listing repeats its items',
      );
      const globex = recordsByStream(result.stdout, 'airbyte').get('stacks')?.filter((s) => s.org_name === 'globex');
      assert.equal(globex?.length, emulator.stacks('globex').length, 'the other organization syncs');
    }));

  for (const [label, name, hook, pageSize] of [
    ['7b', 'an updates total that grows on every request, with full pages of new versions,', growingUpdates, 20],
    ['7c', 'an updates endpoint that ignores page and sends no total, one item a page,', pageIgnoringUpdates, 1],
  ] as const) {
    void it(`${label}. ${name} fails the stack`, () =>
      withEmulator({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 3 }, { page_size: pageSize }, async ({ emulator, config }) => {
        const target = longestStack(emulator, 'acme');
        emulator.beforeRoute = hook(target);
        const result = await readBounded(config, (stream, data) => stream === 'stack_updates' && isOf(data, target), RECORD_BUDGET);
        assert.equal(result.stoppedBy, undefined, `the run ends by itself with fewer than ${RECORD_BUDGET} records of the stack`);
        assertPartitionFailed(result, target);
        assert.deepEqual(countsWithout(result.stdout, 'airbyte', target), { ...expectedWithout(emulator, target) }, 'every other stack syncs');
      }));
  }

  void it('8. a decompression bomb fails its request at max_response_mb, once, in bounded memory', () =>
    withEmulator({ orgs: ['acme'], stacksPerOrg: 4, updatesPerStack: 3 }, { max_attempts: 3 }, async ({ emulator, config }) => {
      const target = longestStack(emulator, 'acme');
      emulator.beforeRoute = compressedUpdates(target, await gzipBomb(2 ** 30));
      const result = await runCli(['--config', config], { timeoutMs: RUN_LIMIT_MS });
      const peak = /peak rss (\d+) MB/.exec(result.stderr);
      assert.ok(peak, `the run ends within ${RUN_LIMIT_MS / 1000} s with a summary line; it ended with exit code ${String(result.code)}`);
      assert.ok(Number(peak[1]) < 400, `peak rss ${peak[1]} MB`);
      assert.equal(requestsWhere(emulator.requests, (ctx) => isUpdatesOf(ctx, target)).length, 1, 'a response over the limit is not retried');
      assert.match(result.stderr, /max_response_mb/);
      assert.equal(result.code, 1);
      assert.deepEqual(countsWithout(result.stdout, 'singer', target), { ...expectedWithout(emulator, target) }, 'the rest syncs');
    }));
});

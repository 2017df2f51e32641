// Faults injected into the emulator, and the tap's answers: retries that lose nothing, paging that
// cannot loop, redirects that do not carry the token, failures that stay contained and loud.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { faultInjector, FAULT_KINDS } from '../emulator/faults.js';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { counts, DEFAULT_STREAMS, expectedCounts, present, primaryKey } from './support/expect.js';
import { checkAirbyteOutput, parseLines, recordsByStream } from './support/protocol.js';
import type { StreamName } from '../src/streams/index.js';

const ALL = DEFAULT_STREAMS;
const catalog = join(REPO_ROOT, 'catalog.json');

async function configFor(emulator: PulumiEmulator, extra: Record<string, unknown> = {}): Promise<string> {
  return writeJson(await tempDir(), 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 5, ...extra });
}

/** stderr lines other than Singer METRIC lines (a timer for each request, the failed one too). */
function problemLines(stderr: string): string[] {
  return stderr.trim().split('\n').filter((line) => !line.startsWith('INFO METRIC: '));
}

function traces(stdout: string, type: string): Record<string, unknown>[] {
  return (parseLines(stdout) as { type: string; trace?: Record<string, unknown> }[]).filter((m) => m.type === 'TRACE' && m.trace?.type === type).map((m) => m.trace!);
}

/** Records without the emission time, keyed by stream and primary key, for comparing runs. */
function canonical(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [stream, records] of recordsByStream(stdout, 'airbyte')) {
    for (const record of records) out.set(`${stream} ${primaryKey(stream as StreamName, record)}`, JSON.stringify(record));
  }
  return out;
}

void describe('faults', () => {
  void it('a full sync under a 20% fault rate gets exactly the records of a clean one', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 10, updatesPerStack: 30 });
    try {
      const config = await configFor(emulator, { request_timeout_seconds: 1, max_attempts: 4 });
      const clean = await runCli(['read', '--config', config, '--catalog', catalog]);
      assert.equal(clean.code, 0, clean.stderr);
      const cleanRequests = emulator.requests.length;

      const faults = faultInjector({ rate: 0.2, slowMs: 1500, maxConsecutive: 2 });
      emulator.beforeRoute = faults.hook;
      const faulty = await runCli(['read', '--config', config, '--catalog', catalog]);
      assert.equal(faulty.code, 0, faulty.stdout.slice(-2000));
      assert.deepEqual(checkAirbyteOutput(faulty.stdout, { command: 'read', configuredStreams: ALL }), []);
      assert.deepEqual(canonical(faulty.stdout), canonical(clean.stdout));
      assert.deepEqual(counts(recordsByStream(faulty.stdout, 'airbyte')), present(expectedCounts(emulator)));
      // Every kind of fault was met, and each retry was logged with what a person needs to trace it.
      for (const kind of FAULT_KINDS) assert.ok((faults.log.injected.get(kind) ?? 0) > 0, `fault ${kind} injected`);
      const logs = (parseLines(faulty.stdout) as { type: string; log?: { level: string; message: string } }[]).filter((m) => m.type === 'LOG').map((m) => m.log!);
      const retries = logs.filter((l) => /retrying in/.test(l.message));
      assert.ok(retries.length >= [...faults.log.injected.values()].reduce((a, b) => a + b, 0) * 0.9, 'nearly every fault is logged as a retry');
      assert.ok(retries.some((l) => /GET \/api\/\S+ failed: 503 Service Unavailable \(request id [0-9a-f-]+\) \(attempt [1-3] of 4\)/.test(l.message)), 'status, request id and attempt are logged');
      assert.ok(retries.some((l) => /502 <html><body><h1>502 Bad Gateway<\/h1> <p>upstream error/.test(l.message)), 'a non-JSON error body is shown as short text');
      assert.ok(retries.some((l) => /timed out after 1 s/.test(l.message)));
      assert.ok(emulator.requests.length > cleanRequests * 2);
      // Rate-limit waits are visible to the platform as RUNNING with a reason.
      const limited = traces(faulty.stdout, 'STREAM_STATUS').filter((t) => JSON.stringify(t).includes('RATE_LIMITED'));
      assert.ok(limited.length > 0);
    } finally {
      await emulator.close();
    }
  });

  void it('a request that keeps failing gives up after max_attempts, and only its stream fails', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 4, updatesPerStack: 5 });
    try {
      emulator.beforeRoute = (ctx, next) => (ctx.path === '/api/orgs/globex/members' ? { status: 503, body: { code: 503, message: 'down' } } : next());
      const result = await runCli(['read', '--config', await configFor(emulator, { max_attempts: 3 }), '--catalog', catalog]);
      assert.equal(result.code, 1);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: ['organization_members'] }), []);
      assert.equal(emulator.requests.filter((r) => r.path === '/api/orgs/globex/members').length, 3);
      const [error] = traces(result.stdout, 'ERROR').map((t) => t.error as { message: string; failure_type: string });
      assert.equal(error?.failure_type, 'transient_error');
      assert.match(error?.message ?? '', /organization_members \(organization globex\): GET \/api\/orgs\/globex\/members failed: 503 down/);
      assert.match(result.stdout, /giving up after 3 attempts/);
      const expected = expectedCounts(emulator);
      assert.deepEqual(counts(recordsByStream(result.stdout, 'airbyte')), { ...expected, organization_members: emulator.members('acme').length });
    } finally {
      await emulator.close();
    }
  });

  void it('400, 401, 403 and 404 are never retried', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 2 });
    try {
      for (const status of [400, 403, 404]) {
        emulator.resetRequests();
        emulator.beforeRoute = (ctx, next) => (ctx.path.endsWith('/members') ? { status, body: { code: status, message: `nope ${status}` } } : next());
        const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
        assert.equal(result.code, 1);
        assert.equal(emulator.requests.filter((r) => r.path.endsWith('/members')).length, 1, `status ${status} tried once`);
      }
    } finally {
      await emulator.close();
    }
  });

  void it('a continuation token sent twice ends the stream with an error instead of a loop', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 2 });
    try {
      const firstPage = emulator.members('acme').slice(0, 3);
      emulator.beforeRoute = (ctx, next) => (ctx.path.endsWith('/members') ? { status: 200, body: { members: firstPage, continuationToken: 'same-token' } } : next());
      const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
      assert.equal(result.code, 1);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: ['organization_members'] }), []);
      assert.equal(emulator.requests.filter((r) => r.path.endsWith('/members')).length, 2);
      assert.match(result.stdout, /continuation token it had already sent/);
    } finally {
      await emulator.close();
    }
  });

  /** A broken updates endpoint: full pages whatever the page number, with the given total per page. */
  function brokenUpdates(total: (page: number) => number): Parameters<typeof PulumiEmulator.start>[0] {
    return {
      orgs: ['acme'],
      stacksPerOrg: 2,
      updatesPerStack: 12,
      beforeRoute: async (ctx, next) => {
        if (!ctx.path.endsWith('/updates')) return next();
        const size = Number(ctx.query.pageSize);
        const page = Number(ctx.query.page);
        const updates = Array.from({ length: size }, (_, i) => ({ info: { kind: 'update', startTime: 1_700_000_000 - i, result: 'succeeded' }, version: 100 - i }));
        return { status: 200, body: { updates, itemsPerPage: size, total: total(page) } };
      },
    };
  }

  for (const [name, total, message] of [
    ['a page number past the total', (page: number) => (page === 1 ? 100 : 5), /page 2 is past the total of 5 items yet holds items/],
    ['a server that ignores the page number', () => 1_000_000, /page 2 repeats page 1/],
  ] as const) {
    void it(`${name} ends the stream with an error that says so`, async () => {
      const emulator = await PulumiEmulator.start(brokenUpdates(total));
      try {
        const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
        assert.equal(result.code, 1);
        assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL, expectFailedStreams: ['stack_updates'] }), []);
        assert.match(result.stdout, message);
        assert.ok(emulator.requests.filter((r) => r.path.endsWith('/updates')).length <= 4);
      } finally {
        await emulator.close();
      }
    });
  }

  void it('a redirect to another origin is not followed, so the token does not go there', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 2, updatesPerStack: 2 });
    try {
      emulator.beforeRoute = (ctx, next) => (ctx.path.endsWith('/teams') ? { status: 302, headers: { Location: `${other}/api/orgs/acme/teams` } } : next());
      const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
      assert.equal(result.code, 1);
      assert.equal(seen.length, 0, 'nothing reached the other origin');
      assert.match(result.stdout, /was redirected \(302\) to http:\/\/127\.0\.0\.1:\d+\/api\/orgs\/acme\/teams; redirects are not followed/);
    } finally {
      await emulator.close();
      elsewhere.close();
    }
  });

  void it('teams on a plan without teams (403) are a logged skip, not a failure', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 3, orgsWithoutTeams: ['globex'] });
    try {
      const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL }), []);
      assert.match(result.stdout, /organization_teams \(organization globex\): not available \(403\)/);
      assert.equal(recordsByStream(result.stdout, 'airbyte').get('organization_teams')?.length, emulator.teams('acme').length);
    } finally {
      await emulator.close();
    }
  });

  void it('a wrong token stops the sync before it starts, with one config_error line', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 3, updatesPerStack: 3 });
    try {
      const result = await runCli(['read', '--config', await configFor(emulator, { token: 'pul-0000000000000000000000000000000000000000' }), '--catalog', catalog]);
      assert.equal(result.code, 1);
      const lines = parseLines(result.stdout) as { type: string; trace?: { type: string; error: { message: string; failure_type: string } } }[];
      assert.equal(lines.length, 1, result.stdout);
      assert.equal(lines[0]?.trace?.error.failure_type, 'config_error');
      assert.match(lines[0]?.trace?.error.message ?? '', /rejected the access token \(401 Unauthorized\): check 'token' or PULUMI_ACCESS_TOKEN/);
      // The token check is the only request: a 401 is not retried and nothing follows it.
      assert.deepEqual(emulator.requests.map((r) => [r.path, r.status]), [['/api/user', 401]]);
      const singer = await runCli(['--config', await configFor(emulator, { token: 'pul-0000000000000000000000000000000000000000' })]);
      assert.equal(singer.code, 1);
      assert.equal(singer.stdout, '');
      assert.equal(problemLines(singer.stderr).length, 1, singer.stderr);
    } finally {
      await emulator.close();
    }
  });

  void it('an unknown organization stops the sync before it starts, with one line naming it', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 3 });
    try {
      const result = await runCli(['read', '--config', await configFor(emulator, { organizations: ['acme', 'initech'] }), '--catalog', catalog]);
      assert.equal(result.code, 1);
      const lines = parseLines(result.stdout) as { type: string; trace?: { type: string; error: { message: string; failure_type: string } } }[];
      assert.equal(lines.length, 1, result.stdout);
      assert.equal(lines[0]?.trace?.error.failure_type, 'config_error');
      assert.match(lines[0]?.trace?.error.message ?? '', /^organization 'initech' was not found or this token cannot read it \(404\); check 'organizations' \(this token's organizations: /);
      assert.equal(recordsByStream(result.stdout, 'airbyte').size, 0);
    } finally {
      await emulator.close();
    }
  });

  void it('a server error on the token check is one transient_error line (a platform may retry it), not a config error', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1 });
    try {
      emulator.beforeRoute = (ctx, next) => (ctx.path === '/api/user' ? { status: 503, body: { code: 503, message: 'Service Unavailable' } } : next());
      const result = await runCli(['read', '--config', await configFor(emulator), '--catalog', catalog]);
      assert.equal(result.code, 1);
      const errors = traces(result.stdout, 'ERROR').map((t) => t.error as { message: string; failure_type: string });
      assert.deepEqual(errors.map((e) => e.failure_type), ['transient_error']);
      assert.match(errors[0]?.message ?? '', /GET \/api\/user failed: 503 Service Unavailable/);
    } finally {
      await emulator.close();
    }
  });

  void it('a host that does not resolve is one line, without retries', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { token: 'pul-0123456789abcdef0123', organizations: ['acme'], base_url: 'https://no-such-host.invalid' });
    const started = Date.now();
    const result = await runCli(['--config', config]);
    assert.equal(result.code, 1);
    assert.equal(problemLines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /cannot reach https:\/\/no-such-host\.invalid: ENOTFOUND/);
    assert.ok(Date.now() - started < 10_000, 'no backoff for a name that does not resolve');
  });
});

void describe('bad inputs: one line, a non-zero exit, no stack trace', () => {
  const cases: { name: string; files: (dir: string) => Promise<{ config?: string; catalog?: string; state?: string }>; message: RegExp }[] = [
    { name: 'config that is not JSON', files: async (dir) => ({ config: await writeText(dir, 'c.json', '{"organizations": [') }), message: /config file '.*c\.json' is not valid JSON/ },
    { name: 'a missing field', files: async (dir) => ({ config: await writeJson(dir, 'c.json', { token: 'pul-x' }) }), message: /invalid config: 'organizations' is required/ },
    { name: 'a wrongly typed field', files: async (dir) => ({ config: await writeJson(dir, 'c.json', { token: 'pul-x', organizations: ['a'], page_size: 'big' }) }), message: /invalid config: 'page_size' must be integer/ },
    { name: 'an unreadable path', files: (dir) => Promise.resolve({ config: join(dir, 'nope.json') }), message: /cannot read config file '.*nope\.json': no such file/ },
    { name: 'a catalog that is not JSON', files: async (dir) => ({ catalog: await writeText(dir, 'cat.json', 'streams:') }), message: /catalog file '.*cat\.json' is not valid JSON/ },
    {
      name: 'a catalog naming an unknown stream',
      files: async (dir) => ({ catalog: await writeJson(dir, 'cat.json', { streams: [{ stream: { name: 'pets' }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] }) }),
      message: /catalog '.*cat\.json'\.streams\[0\]\.stream\.name: unknown stream 'pets'/,
    },
    { name: 'a state of the wrong shape', files: async (dir) => ({ state: await writeJson(dir, 's.json', [{ type: 'GLOBAL', global: {} }]) }), message: /GLOBAL state is not supported/ },
    { name: 'a plain-http base_url', files: async (dir) => ({ config: await writeJson(dir, 'c.json', { token: 'pul-x', organizations: ['a'], base_url: 'http://pulumi.internal' }) }), message: /'base_url' must use https/ },
  ];
  for (const c of cases) {
    void it(c.name, async () => {
      const dir = await tempDir();
      const files = await c.files(dir);
      const config = files.config ?? (await writeJson(dir, 'good.json', { token: 'pul-x', organizations: ['a'], base_url: 'http://127.0.0.1:9' }));
      const airbyte = await runCli(['read', '--config', config, '--catalog', files.catalog ?? catalog, ...(files.state ? ['--state', files.state] : [])]);
      assert.equal(airbyte.code, 1);
      const lines = parseLines(airbyte.stdout) as { type: string; trace?: { type: string; error: { message: string; failure_type: string } } }[];
      assert.equal(lines.length, 1, airbyte.stdout);
      assert.equal(lines[0]?.trace?.error.failure_type, 'config_error');
      assert.match(lines[0]?.trace?.error.message ?? '', c.message);
      const singer = await runCli(['--config', config, ...(files.catalog ? ['--catalog', files.catalog] : []), ...(files.state ? ['--state', files.state] : [])]);
      assert.equal(singer.code, 1);
      assert.equal(singer.stdout, '');
      assert.equal(singer.stderr.trim().split('\n').length, 1, singer.stderr);
      assert.match(singer.stderr, c.message);
      for (const output of [airbyte.stdout, singer.stderr]) assert.ok(!/\n\s+at /.test(output), 'no stack trace');
    });
  }
});

async function writeText(dir: string, name: string, text: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

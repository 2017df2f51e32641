// The Airbyte side of the CLI, run as the platform runs it, against the emulator.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { assertValidAndUnique, counts, DEFAULT_STREAMS, expectedCounts, present } from './support/expect.js';
import { STREAM_NAMES } from '../src/streams/index.js';
import { checkAirbyteOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

const ALL = DEFAULT_STREAMS;
const catalogPath = join(REPO_ROOT, 'catalog.json');

interface Setup {
  emulator: PulumiEmulator;
  dir: string;
  config: string;
}

async function setup(options: Parameters<typeof PulumiEmulator.start>[0] = {}, config: Record<string, unknown> = {}): Promise<Setup> {
  const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 9, updatesPerStack: 25, ...options });
  const dir = await tempDir();
  const configPath = await writeJson(dir, 'config.json', {
    token: emulator.token,
    organizations: emulator.orgNames(),
    base_url: emulator.url,
    page_size: 4,
    ...config,
  });
  return { emulator, dir, config: configPath };
}

function messagesOfType(stdout: string, type: string): Record<string, unknown>[] {
  return (parseLines(stdout) as Record<string, unknown>[]).filter((m) => m.type === type);
}

void describe('airbyte: spec, check, discover', () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(() => s.emulator.close());

  void it('spec prints one SPEC equal to spec.json', async () => {
    const result = await runCli(['spec']);
    assert.equal(result.code, 0);
    assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'spec' }), []);
    const [spec] = messagesOfType(result.stdout, 'SPEC');
    assert.deepEqual(spec?.spec, JSON.parse(await readFile(join(REPO_ROOT, 'spec.json'), 'utf8')));
  });

  void it('check succeeds with a good token', async () => {
    const result = await runCli(['check', '--config', s.config]);
    assert.equal(result.code, 0);
    assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'check' }), []);
    const [status] = messagesOfType(result.stdout, 'CONNECTION_STATUS');
    assert.deepEqual(status?.connectionStatus, { status: 'SUCCEEDED' });
  });

  const failures: [string, Record<string, unknown>, RegExp][] = [
    ['a bad token', { token: 'pul-ffffffffffffffffffffffffffffffffffffffff' }, /rejected the access token \(401/],
    ['an unknown organization', { organizations: ['acme', 'initech'] }, /organization 'initech' was not found or this token cannot read it \(404\).*acme, globex/],
    ['an unreachable host', { base_url: 'http://127.0.0.1:9' }, /cannot reach http:\/\/127\.0\.0\.1:9/],
    ['an invalid config', { organizations: 'acme' }, /invalid config: 'organizations' must be array/],
  ];
  for (const [name, override, pattern] of failures) {
    void it(`check answers FAILED, exit 0, for ${name}`, async () => {
      const config = await writeJson(s.dir, `check-${name.replace(/\W+/g, '-')}.json`, {
        token: s.emulator.token,
        organizations: ['acme'],
        base_url: s.emulator.url,
        ...override,
      });
      const result = await runCli(['check', '--config', config]);
      assert.equal(result.code, 0);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'check' }), []);
      const [status] = messagesOfType(result.stdout, 'CONNECTION_STATUS');
      const connectionStatus = status?.connectionStatus as { status: string; message: string };
      assert.equal(connectionStatus.status, 'FAILED');
      assert.match(connectionStatus.message, pattern);
    });
  }

  void it('discover prints one CATALOG of every stream; catalog.json configures those selected by default', async () => {
    const result = await runCli(['discover', '--config', s.config]);
    assert.equal(result.code, 0);
    assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'discover' }), []);
    const [message] = messagesOfType(result.stdout, 'CATALOG');
    const discovered = (message?.catalog as { streams: { name: string }[] }).streams;
    assert.deepEqual(discovered.map((st) => st.name), STREAM_NAMES);
    const configured = JSON.parse(await readFile(catalogPath, 'utf8')) as { streams: { stream: unknown }[] };
    assert.deepEqual(configured.streams.map((c) => c.stream), discovered.filter((st) => ALL.includes(st.name)));
  });

  void it('discover with an invalid config is a config_error TRACE and a non-zero exit', async () => {
    const config = await writeJson(s.dir, 'no-orgs.json', { token: s.emulator.token });
    const result = await runCli(['discover', '--config', config]);
    assert.equal(result.code, 1);
    const [trace] = messagesOfType(result.stdout, 'TRACE');
    const error = (trace?.trace as { error: { message: string; failure_type: string } }).error;
    assert.equal(error.failure_type, 'config_error');
    assert.match(error.message, /'organizations' is required/);
  });
});

void describe('airbyte: read', () => {
  void it('a full sync emits every record exactly once, valid, with correct protocol messages', async () => {
    const s = await setup();
    try {
      const result = await runCli(['read', '--config', s.config, '--catalog', catalogPath]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ALL }), []);
      const byStream = recordsByStream(result.stdout, 'airbyte');
      assert.deepEqual(counts(byStream), present(expectedCounts(s.emulator)));
      assertValidAndUnique(byStream);
      const update = byStream.get('stack_updates')?.find((r) => r.config && Object.values(r.config).some((v: { secret?: boolean } | null) => v?.secret));
      assert.ok(update, 'some update has a secret config value');
      assert.ok(!result.stdout.includes('requestedByToken') && !result.stdout.includes('requested_by_token'));
      assert.ok(!result.stdout.includes('v1:'), 'no secret ciphertext on stdout');
    } finally {
      await s.emulator.close();
    }
  });

  void it('an incremental run gets only what changed, and an update that was running comes again, finished', async () => {
    const s = await setup();
    try {
      const [org] = s.emulator.orgNames() as [string];
      const target = s.emulator.stacks(org).find((st) => st.lastUpdate !== undefined)!;
      const running = s.emulator.addUpdate(org, target.projectName, target.stackName, { result: 'in-progress' });

      const first = await runCli(['read', '--config', s.config, '--catalog', catalogPath]);
      assert.equal(first.code, 0, first.stderr);
      const firstUpdates = recordsByStream(first.stdout, 'airbyte').get('stack_updates') ?? [];
      assert.ok(firstUpdates.some((r) => r.version === running.version && r.result === 'in-progress'));
      const statePath = await writeJson(s.dir, 'state.json', lastState(first.stdout, 'airbyte'));

      // Between the runs: the running update finishes, another stack gets a new update, a stack is created.
      s.emulator.finishUpdate(org, target.projectName, target.stackName, running.version, 'succeeded');
      const other = s.emulator.stacks(org).find((st) => st.stackName !== target.stackName && st.lastUpdate !== undefined)!;
      const fresh = s.emulator.addUpdate(org, other.projectName, other.stackName);
      s.emulator.addStack(org, 'newproj', 'brand-new');

      const second = await runCli(['read', '--config', s.config, '--catalog', catalogPath, '--state', statePath]);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(checkAirbyteOutput(second.stdout, { command: 'read', configuredStreams: ALL }), []);
      const byStream = recordsByStream(second.stdout, 'airbyte');
      const updates = byStream.get('stack_updates') ?? [];
      const finished = updates.find((r) => r.org_name === org && r.project_name === target.projectName && r.stack_name === target.stackName && r.version === running.version);
      assert.equal(finished?.result, 'succeeded', 'the formerly running update is emitted again, finished');
      assert.ok(updates.some((r) => r.stack_name === other.stackName && r.version === fresh.version), 'the new update is emitted');
      // Only changed stacks, and those that had an unfinished update, are read again, from their bookmarks.
      const name = (r: Record<string, unknown>) => `${String(r.org_name)}/${String(r.project_name)}/${String(r.stack_name)}`;
      const unfinished = new Set(firstUpdates.filter((r) => r.result === 'in-progress' || r.result === 'not-started').map(name));
      const changed = [`${org}/${target.projectName}/${target.stackName}`, `${org}/${other.projectName}/${other.stackName}`];
      const reread = new Set(updates.map(name));
      for (const stack of changed) assert.ok(reread.has(stack), `${stack} is read again`);
      for (const stack of reread) assert.ok(changed.includes(stack) || unfinished.has(stack), `${stack} is read again without a reason`);
      // Records seen before come again only if they were unfinished, or sit at the bookmark itself
      // (the newest of their stack last time: bookmarks are inclusive, as in Singer and Airbyte).
      for (const r of updates) {
        const before = firstUpdates.find((f) => name(f) === name(r) && f.version === r.version);
        if (!before) continue;
        const newestBefore = Math.max(...firstUpdates.filter((f) => name(f) === name(r)).map((f) => Number(f.version)));
        assert.ok(unfinished.has(name(r)) || before.version === newestBefore, `${name(r)} v${String(r.version)} emitted again needlessly`);
      }
      const stacks = byStream.get('stacks') ?? [];
      assert.ok(stacks.some((r) => r.stack_name === 'brand-new' && r.last_update === null), 'a new never-updated stack is emitted');
      assert.ok(stacks.length < expectedCounts(s.emulator).stacks, 'unchanged stacks are not emitted again');
      // Full-refresh streams come whole every time.
      assert.equal(byStream.get('organization_members')?.length, expectedCounts(s.emulator).organization_members);
    } finally {
      await s.emulator.close();
    }
  });

  void it('stack_updates without stacks: stacks are listed but not emitted', async () => {
    const s = await setup();
    try {
      const full = JSON.parse(await readFile(catalogPath, 'utf8')) as { streams: { stream: { name: string } }[] };
      const catalog = await writeJson(s.dir, 'updates-only.json', { streams: full.streams.filter((c) => c.stream.name === 'stack_updates') });
      const result = await runCli(['read', '--config', s.config, '--catalog', catalog]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ['stack_updates'] }), []);
      const byStream = recordsByStream(result.stdout, 'airbyte');
      assert.deepEqual(counts(byStream), { stack_updates: expectedCounts(s.emulator).stack_updates });
      assert.ok(s.emulator.requests.some((r) => r.path === '/api/user/stacks'));
      assert.ok(!s.emulator.requests.some((r) => r.path.endsWith('/members') || r.path.endsWith('/teams')));
    } finally {
      await s.emulator.close();
    }
  });

  void it('a stream configured as full_refresh ignores its bookmark', async () => {
    const s = await setup();
    try {
      const first = await runCli(['read', '--config', s.config, '--catalog', catalogPath]);
      const statePath = await writeJson(s.dir, 'state.json', lastState(first.stdout, 'airbyte'));
      const full = JSON.parse(await readFile(catalogPath, 'utf8')) as { streams: { stream: { name: string }; sync_mode: string }[] };
      const catalog = await writeJson(s.dir, 'full.json', {
        streams: full.streams.filter((c) => c.stream.name === 'stacks').map((c) => ({ ...c, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })),
      });
      const second = await runCli(['read', '--config', s.config, '--catalog', catalog, '--state', statePath]);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(checkAirbyteOutput(second.stdout, { command: 'read', configuredStreams: ['stacks'] }), []);
      assert.equal(recordsByStream(second.stdout, 'airbyte').get('stacks')?.length, expectedCounts(s.emulator).stacks);
    } finally {
      await s.emulator.close();
    }
  });
});

// Incremental edge cases found in review: changes during a listing, queued updates without a start
// time, and notices that must name only configured streams.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { checkAirbyteOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

const catalogPath = join(REPO_ROOT, 'catalog.json');

async function setup(options: Parameters<typeof PulumiEmulator.start>[0], config: Record<string, unknown> = {}) {
  const emulator = await PulumiEmulator.start(options);
  const dir = await tempDir();
  const configPath = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 3, ...config });
  return { emulator, dir, configPath };
}

void describe('incremental edge cases', () => {
  void it('a stack updated while later pages are listed is emitted by the next sync', async () => {
    const { emulator, dir, configPath } = await setup({ orgs: ['acme'], stacksPerOrg: 9, updatesPerStack: 4 });
    try {
      const listed = emulator.stacks('acme');
      const early = listed.find((s, i) => i < 3 && s.lastUpdate !== undefined)!;
      const late = listed.find((s, i) => i >= 3 && s.lastUpdate !== undefined && s.stackName !== early.stackName)!;
      let mutated = false;
      // While page 2 of the listing is served, the first page's stack and then a later one get updates.
      emulator.beforeRoute = (ctx, next) => {
        if (!mutated && ctx.path === '/api/user/stacks' && ctx.query.continuationToken) {
          mutated = true;
          emulator.addUpdate('acme', early.projectName, early.stackName);
          emulator.addUpdate('acme', late.projectName, late.stackName);
        }
        return next();
      };
      const first = await runCli(['read', '--config', configPath, '--catalog', catalogPath]);
      assert.equal(first.code, 0, first.stderr);
      assert.ok(mutated);
      const statePath = await writeJson(dir, 'state.json', lastState(first.stdout, 'airbyte'));
      const second = await runCli(['read', '--config', configPath, '--catalog', catalogPath, '--state', statePath]);
      assert.equal(second.code, 0, second.stderr);
      const stacks = recordsByStream(second.stdout, 'airbyte').get('stacks') ?? [];
      const now = emulator.stacks('acme').find((s) => s.stackName === early.stackName && s.projectName === early.projectName)!;
      assert.ok(
        stacks.some((s) => s.stack_name === early.stackName && s.project_name === early.projectName && s.last_update === now.lastUpdate),
        'the early stack comes with its new last_update',
      );
    } finally {
      await emulator.close();
    }
  });

  void it('an update queued without a start time does not hide newer finished ones, nor the one that was running', async () => {
    const { emulator, dir, configPath } = await setup({ orgs: ['acme'], stacksPerOrg: 4, updatesPerStack: 6 });
    try {
      const stack = emulator.stacks('acme').find((s) => s.lastUpdate !== undefined)!;
      const running = emulator.addUpdate('acme', stack.projectName, stack.stackName, { result: 'in-progress' });
      const first = await runCli(['read', '--config', configPath, '--catalog', catalogPath]);
      assert.equal(first.code, 0, first.stderr);
      const statePath = await writeJson(dir, 'state.json', lastState(first.stdout, 'airbyte'));
      emulator.finishUpdate('acme', stack.projectName, stack.stackName, running.version);
      const finished = emulator.addUpdate('acme', stack.projectName, stack.stackName);
      const queued = emulator.addUpdate('acme', stack.projectName, stack.stackName, { result: 'not-started', startTime: 0 });
      const second = await runCli(['read', '--config', configPath, '--catalog', catalogPath, '--state', statePath]);
      assert.equal(second.code, 0, second.stderr);
      const versions = (recordsByStream(second.stdout, 'airbyte').get('stack_updates') ?? [])
        .filter((u) => u.stack_name === stack.stackName && u.project_name === stack.projectName)
        .map((u) => [u.version, u.result]);
      assert.deepEqual(versions, [
        [queued.version, 'not-started'],
        [finished.version, 'succeeded'],
        [running.version, 'succeeded'],
      ]);
    } finally {
      await emulator.close();
    }
  });

  void it('a rate limit on the stack listing is reported for the configured child stream, not for stacks', async () => {
    const { emulator, dir, configPath } = await setup({ orgs: ['acme'], stacksPerOrg: 4, updatesPerStack: 3 });
    try {
      let limited = false;
      emulator.beforeRoute = (ctx, next) => {
        // The listing itself, not the one-stack probe of the organization before the sync.
        if (!limited && ctx.path === '/api/user/stacks' && ctx.query.maxResults !== '1') {
          limited = true;
          return { status: 429, body: { code: 429, message: 'slow down' }, headers: { 'Retry-After': '0' } };
        }
        return next();
      };
      const full = JSON.parse(await readFile(catalogPath, 'utf8')) as { streams: { stream: { name: string } }[] };
      const catalog = await writeJson(dir, 'updates.json', { streams: full.streams.filter((c) => c.stream.name === 'stack_updates') });
      const result = await runCli(['read', '--config', configPath, '--catalog', catalog]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: ['stack_updates'] }), []);
      const reasons = (parseLines(result.stdout) as { type: string; trace?: { stream_status?: { stream_descriptor: { name: string }; reasons?: unknown[] } } }[])
        .filter((m) => m.trace?.stream_status?.reasons)
        .map((m) => m.trace!.stream_status!.stream_descriptor.name);
      assert.deepEqual(reasons, ['stack_updates']);
    } finally {
      await emulator.close();
    }
  });

  void it('bookmarks of stacks no longer listed are dropped; other organizations keep theirs', async () => {
    const { emulator, dir, configPath } = await setup({ orgs: ['acme'], stacksPerOrg: 3, updatesPerStack: 4 });
    try {
      const gone = { org_name: 'acme', project_name: 'old-project', stack_name: 'deleted' };
      const elsewhere = { org_name: 'other-org', project_name: 'p', stack_name: 's' };
      const state = {
        bookmarks: {
          stack_updates: {
            partitions: [
              { context: gone, replication_key: 'start_time', replication_key_value: 1_700_000_000 },
              { context: elsewhere, replication_key: 'start_time', replication_key_value: 1_700_000_000 },
            ],
          },
        },
      };
      const result = await runCli(['--config', configPath, '--state', await writeJson(dir, 'state.json', state)]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /stack_updates \(organization acme\): 1 bookmark\(s\) of partitions no longer listed dropped/);
      const after = lastState(result.stdout, 'singer') as { bookmarks: { stack_updates: { partitions: { context: Record<string, string> }[] } } };
      const contexts = after.bookmarks.stack_updates.partitions.map((p) => p.context);
      assert.ok(!contexts.some((c) => c.stack_name === 'deleted'));
      assert.ok(contexts.some((c) => c.org_name === 'other-org'));
      assert.equal(contexts.filter((c) => c.org_name === 'acme').length, emulator.stacks('acme').length);
    } finally {
      await emulator.close();
    }
  });

  void it('a date-only start_date is midnight UTC', async () => {
    const { emulator, configPath } = await setup({ orgs: ['acme'], stacksPerOrg: 4, updatesPerStack: 10 }, { start_date: '2024-03-01' });
    try {
      const result = await runCli(['read', '--config', configPath, '--catalog', catalogPath]);
      assert.equal(result.code, 0, result.stderr);
      const since = Date.parse('2024-03-01T00:00:00Z') / 1000;
      const updates = recordsByStream(result.stdout, 'airbyte').get('stack_updates') ?? [];
      assert.ok(updates.every((u) => Number(u.start_time) >= since));
    } finally {
      await emulator.close();
    }
  });

  void it('wrong arguments under an Airbyte verb are also a config_error TRACE on stdout', async () => {
    const result = await runCli(['read', '--config', 'c.json']);
    assert.equal(result.code, 2);
    const [message] = parseLines(result.stdout) as { trace: { error: { failure_type: string; message: string } } }[];
    assert.equal(message?.trace.error.failure_type, 'config_error');
    assert.match(message?.trace.error.message ?? '', /'read' needs --catalog FILE/);
  });
});

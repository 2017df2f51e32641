// Audit logs end to end: read from the bookmark a week at a time with the server's own filter, each
// week checkpointed, so a run that fails part-way keeps the weeks it read and the next run goes on
// from there, losing nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { killedAfterRecords, runCli, tempDir, writeJson } from './support/cli.js';
import { lastState, recordsByStream } from './support/protocol.js';

const WEEK = 7 * 86_400;

void describe('audit_logs: a week at a time', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  let catalog: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1, auditEventsPerOrg: 80 });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, max_attempts: 1 });
    catalog = await writeJson(dir, 'catalog.json', {
      streams: [{ stream: { name: 'audit_logs', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] }, sync_mode: 'incremental', destination_sync_mode: 'append_dedup' }],
    });
  });
  after(() => emulator.close());

  const windows = () => emulator.requests.filter((r) => r.path === '/api/orgs/acme/auditlogs/v2' && r.query.continuationToken === undefined).map((r) => [Number(r.query.startTime), Number(r.query.endTime)]);
  const stateAt = (timestamp: number) => [{ type: 'STREAM', stream: { stream_descriptor: { name: 'audit_logs' }, stream_state: { states: [{ partition: { org_name: 'acme' }, cursor: { timestamp } }] } } }];
  const bookmarkIn = (stdout: string) => {
    const entry = lastState(stdout, 'airbyte').find((s) => s.stream.stream_descriptor.name === 'audit_logs');
    return (entry?.stream.stream_state as { states: { cursor: { timestamp: number } }[] } | undefined)?.states[0]?.cursor.timestamp;
  };

  void it('reads consecutive weeks from the bookmark less the overlap; a failed week keeps those before it, and the next run reads on', async () => {
    const events = emulator.auditEvents('acme');
    const oldest = Math.min(...events.map((e) => e.timestamp));
    const from = oldest - 3 * WEEK;
    const start = from - 15 * 60;
    // The third week fails (a server error, not retried here).
    const failing = start + 2 * WEEK - 1;
    emulator.beforeRoute = (ctx, next) => (ctx.path.endsWith('/auditlogs/v2') && ctx.query.startTime === String(failing) ? { status: 503, body: { code: 503, message: 'down' } } : next());
    emulator.resetRequests();
    const first = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'from.json', stateAt(from))]);
    assert.equal(first.code, 1, first.stdout.slice(-1500));
    // Each week after the first starts a second early: an event on the edge is in one of them.
    assert.deepEqual(windows().slice(0, 3), [
      [start, start + WEEK],
      [start + WEEK - 1, start + 2 * WEEK],
      [start + 2 * WEEK - 1, start + 3 * WEEK],
    ]);
    assert.equal(bookmarkIn(first.stdout), start + 2 * WEEK, 'the bookmark is the end of the last week read whole');
    const firstRecords = recordsByStream(first.stdout, 'airbyte').get('audit_logs') ?? [];

    emulator.beforeRoute = undefined;
    emulator.resetRequests();
    const second = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'resume.json', lastState(first.stdout, 'airbyte'))]);
    assert.equal(second.code, 0, second.stdout.slice(-1500));
    assert.equal(windows()[0]?.[0], start + 2 * WEEK - 15 * 60, 'the next run starts at that week, less the overlap');
    const ids = new Set([...firstRecords, ...(recordsByStream(second.stdout, 'airbyte').get('audit_logs') ?? [])].map((r) => r.event_id));
    assert.equal(ids.size, new Set(events.map((e) => JSON.stringify(e))).size, 'every event arrives across the two runs');
    assert.ok((windows().at(-1)?.[1] ?? 0) >= Math.floor(Date.now() / 1000) - 60, 'the last week ends now');
  });

  void it('killed (SIGKILL) part-way and resumed from its last STATE, loses no event', async () => {
    const big = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1, auditEventsPerOrg: 400, auditLogPageSize: 10, latencyMs: 2 });
    try {
      const bigConfig = await writeJson(dir, 'big.json', { token: big.token, organizations: ['acme'], base_url: big.url, checkpoint_interval_seconds: 0 });
      const oldest = Math.min(...big.auditEvents('acme').map((e) => e.timestamp));
      const from = await writeJson(dir, 'big-from.json', stateAt(oldest - 60));
      const everything = new Set(big.auditEvents('acme').map((e) => JSON.stringify(e)));
      const seen = await killedAfterRecords(['read', '--config', bigConfig, '--catalog', catalog, '--state', from], everything.size / 2);
      const complete = seen.filter((line) => line.endsWith('}')).join('\n');
      const states = lastState(complete, 'airbyte');
      assert.ok(states.length > 0, 'a week was checkpointed before the kill');
      const second = await runCli(['read', '--config', bigConfig, '--catalog', catalog, '--state', await writeJson(dir, 'big-resume.json', states)]);
      assert.equal(second.code, 0, second.stdout.slice(-1500));
      const ids = new Set([...(recordsByStream(complete, 'airbyte').get('audit_logs') ?? []), ...(recordsByStream(second.stdout, 'airbyte').get('audit_logs') ?? [])].map((r) => r.event_id));
      assert.equal(ids.size, everything.size, 'every event arrives across the two runs');
      assert.ok((recordsByStream(second.stdout, 'airbyte').get('audit_logs')?.length ?? 0) < everything.size, 'the second run did not start over');
    } finally {
      await big.close();
    }
  });
});

// Streams read from one document per parent record, end to end through the built CLI: a stack's
// detail feeds stack_details and stack_tags, a team's detail its members and its stack and
// environment permissions; each document is asked for once, whichever streams read it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { assertValidAndUnique } from './support/expect.js';
import { checkAirbyteOutput, recordsByStream } from './support/protocol.js';

const DETAIL_STREAMS = ['stack_details', 'stack_tags', 'team_members', 'team_stack_permissions', 'team_environment_permissions', 'team_access_tokens', 'policy_groups', 'deployment_schedules', 'drift_runs'];

function catalogOf(names: readonly string[]) {
  return { streams: names.map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })) };
}

void describe('streams read from detail documents', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 6, updatesPerStack: 3, teamsPerOrg: 3, orgsWithoutTeams: ['globex'], seed: 21 });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 4 });
  });
  after(() => emulator.close());

  void it("copies each stack's and each team's detail into its streams, one request per document", async () => {
    emulator.resetRequests();
    const result = await runCli(['read', '--config', config, '--catalog', await writeJson(dir, 'all.json', catalogOf(DETAIL_STREAMS))]);
    assert.equal(result.code, 0, result.stdout.slice(-2000));
    assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: DETAIL_STREAMS }), []);
    const byStream = recordsByStream(result.stdout, 'airbyte');
    assertValidAndUnique(byStream);

    const stackTags: string[] = [];
    const details: string[] = [];
    for (const org of emulator.orgNames()) {
      for (const stack of emulator.stacks(org)) {
        const detail = emulator.stackDetail(org, stack.projectName, stack.stackName);
        details.push(`${org}/${stack.projectName}/${stack.stackName}@${String(detail.version)}`);
        for (const [name, value] of Object.entries(detail.tags as Record<string, string>)) stackTags.push(`${org}/${stack.projectName}/${stack.stackName}:${name}=${value}`);
      }
    }
    const rows = (stream: string) => byStream.get(stream) ?? [];
    assert.deepEqual(rows('stack_details').map((r) => `${String(r.org_name)}/${String(r.project_name)}/${String(r.stack_name)}@${String(r.version)}`).sort(), details.sort());
    assert.deepEqual(rows('stack_tags').map((r) => `${String(r.org_name)}/${String(r.project_name)}/${String(r.stack_name)}:${String(r.name)}=${String(r.value)}`).sort(), stackTags.sort());

    const teams = emulator.teams('acme').map((t) => emulator.teamDetail('acme', t.name));
    assert.deepEqual(rows('team_members').map((r) => `${String(r.team_name)}:${String(r.user_name)}:${String(r.role)}`).sort(), teams.flatMap((t) => (t.members ?? []).map((m) => `${t.name}:${m.githubLogin}:${m.role}`)).sort());
    assert.deepEqual(rows('team_stack_permissions').map((r) => `${String(r.team_name)}:${String(r.project_name)}/${String(r.stack_name)}:${String(r.permission)}`).sort(), teams.flatMap((t) => (t.stacks ?? []).map((s) => `${t.name}:${s.projectName}/${s.stackName}:${s.permission}`)).sort());
    assert.deepEqual(rows('team_environment_permissions').map((r) => `${String(r.team_name)}:${String(r.environment_name)}:${String(r.permission)}`).sort(), teams.flatMap((t) => (t.environments ?? []).map((e) => `${t.name}:${e.envName}:${e.permission}`)).sort());
    assert.equal(rows('team_access_tokens').length, emulator.teams('acme').reduce((n, t) => n + emulator.teamTokens('acme', t.name).length, 0));
    assert.equal(rows('policy_groups').length, emulator.orgNames().reduce((n, org) => n + emulator.policyGroups(org).length, 0));
    assert.ok(rows('policy_groups').some((g) => Array.isArray(g.applied_policy_packs) && g.applied_policy_packs.length > 0), 'groups carry their packs');
    const schedules = emulator.orgNames().flatMap((org) => emulator.stacks(org).flatMap((s) => emulator.stackSchedules(org, s.projectName, s.stackName)));
    assert.ok(schedules.length > 0);
    assert.equal(rows('deployment_schedules').length, schedules.length);
    const drift = emulator.orgNames().flatMap((org) => emulator.stacks(org).flatMap((s) => emulator.driftRuns(org, s.projectName, s.stackName)));
    assert.ok(drift.length > 4, 'some stack has more than a page of drift runs');
    assert.equal(rows('drift_runs').length, drift.length);

    // One request per document: the stack's detail serves two streams, the team's three.
    const asked = emulator.requests.map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`);
    assert.deepEqual(asked.filter((url, i) => asked.indexOf(url) !== i), [], 'no URL twice');
    const stackCount = emulator.orgNames().reduce((n, org) => n + emulator.stacks(org).length, 0);
    assert.equal(emulator.requests.filter((r) => /^\/api\/stacks\/[^/]+\/[^/]+\/[^/]+$/.test(r.path)).length, stackCount);
    assert.equal(emulator.requests.filter((r) => /^\/api\/orgs\/acme\/teams\/[^/]+$/.test(r.path)).length, emulator.teams('acme').length);
    // A plan without teams: the listing's 403 is the only team request of that organization.
    assert.equal(emulator.requests.filter((r) => r.path.startsWith('/api/orgs/globex/teams')).length, 1);
    // The team listing's skip covers its children: their partitions hang off teams never listed.
    assert.match(result.stdout, /organization_teams \(organization globex\): not available \(403\)/);
  });

  void it('a stack deleted between its listing and its detail is skipped with a warning; the others are read', async () => {
    const [gone] = emulator.stacks('acme');
    assert.ok(gone);
    const goneDetail = `/api/stacks/acme/${encodeURIComponent(gone.projectName)}/${gone.stackName}`;
    emulator.beforeRoute = (ctx, next) => (ctx.path === goneDetail ? { status: 404, body: { code: 404, message: 'Stack not found' } } : next());
    try {
      emulator.resetRequests();
      const result = await runCli(['read', '--config', config, '--catalog', await writeJson(dir, 'stack.json', catalogOf(['stack_details', 'stack_tags']))]);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      const details = recordsByStream(result.stdout, 'airbyte').get('stack_details') ?? [];
      assert.equal(details.length, emulator.orgNames().reduce((n, org) => n + emulator.stacks(org).length, 0) - 1);
      assert.match(result.stdout, /stack_details \([^)]*\): not found any more/);
      assert.equal(emulator.requests.filter((r) => r.path === goneDetail).length, 1, 'the 404 is shared too, not asked again for stack_tags');
    } finally {
      emulator.beforeRoute = undefined;
    }
  });

  void it('a detail that lacks the list one stream reads is asked for again by that stream, then fails it only', async () => {
    emulator.beforeRoute = async (ctx, next) => {
      const answer = await next();
      if (!/^\/api\/orgs\/acme\/teams\/[^/]+$/.test(ctx.path)) return answer;
      const { members: _members, ...rest } = answer.body as Record<string, unknown>;
      // `members` may be left out (nothing to list); a `stacks` that is not a list is malformed.
      return { ...answer, body: { ...rest, stacks: 'none' } };
    };
    try {
      const result = await runCli(['read', '--config', await writeJson(dir, 'fast.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, max_attempts: 2, retry_base_seconds: 0.01 }), '--catalog', await writeJson(dir, 'teams.json', catalogOf(['team_members', 'team_stack_permissions']))]);
      assert.equal(result.code, 1, result.stdout.slice(-2000));
      const byStream = recordsByStream(result.stdout, 'airbyte');
      assert.equal(byStream.get('team_members'), undefined, 'an absent optional list is no members, not an error');
      assert.match(result.stdout, /team_stack_permissions \(acme\/[^)]*\): .*'stacks' is string/);
      assert.doesNotMatch(result.stdout, /"stream_descriptor":\{"name":"team_members"\},"status":"INCOMPLETE"/);
    } finally {
      emulator.beforeRoute = undefined;
    }
  });
});

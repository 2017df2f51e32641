// Request economy and concurrency, asserted by counting requests at the emulator (not by timing).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { expectedCounts } from './support/expect.js';
import { lastState, recordsByStream } from './support/protocol.js';

const catalog = join(REPO_ROOT, 'catalog.json');

function finishRunningUpdates(emulator: PulumiEmulator): number {
  let finished = 0;
  for (const org of emulator.orgNames()) {
    for (const s of emulator.stacks(org)) {
      const newest = s.lastUpdate === undefined ? undefined : emulator.updates(org, s.projectName, s.stackName)[0];
      if (newest?.info.result === 'in-progress' || newest?.info.result === 'not-started') {
        emulator.finishUpdate(org, s.projectName, s.stackName, newest.version);
        finished++;
      }
    }
  }
  return finished;
}

void describe('request economy', () => {
  void it("a re-run with nothing changed asks only for the token check, the listings and each stack's and team's detail, each URL once", async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 15, updatesPerStack: 20 });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 50 });
      const first = await runCli(['read', '--config', config, '--catalog', catalog]);
      assert.equal(first.code, 0, first.stderr);
      const finished = finishRunningUpdates(emulator);
      assert.ok(finished >= 2, 'each organization had an update running');

      emulator.resetRequests();
      const second = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 's1.json', lastState(first.stdout, 'airbyte'))]);
      assert.equal(second.code, 0, second.stderr);
      const secondUpdates = emulator.requests.filter((r) => r.path.endsWith('/updates'));
      assert.equal(new Set(secondUpdates.map((r) => r.path)).size, finished, 'only the stacks whose update was running are read again');

      emulator.resetRequests();
      const third = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 's2.json', lastState(second.stdout, 'airbyte'))]);
      assert.equal(third.code, 0, third.stderr);
      const paths = emulator.requests.map((r) => r.path);
      assert.equal(paths.filter((p) => p.endsWith('/updates')).length, 0, 'no update history is requested');
      // Full-refresh listings and documents, one page each of the time-ordered ones, and each
      // environment's newest revisions (nothing in an environment's listing shows that it has no new
      // revision); each stack's and each team's detail once, whichever streams read it.
      const environmentPaths = emulator.orgNames().flatMap((org) => [`/api/esc/environments/${org}`, ...emulator.environments(org).map((e) => `/api/esc/environments/${org}/${e.project}/${e.name}/versions`)]);
      const stackPaths = emulator.orgNames().flatMap((org) => emulator.stacks(org).map((s) => `/api/stacks/${org}/${s.projectName}/${s.stackName}`));
      const teamPaths = emulator.orgNames().flatMap((org) => emulator.teams(org).flatMap((t) => [`/api/orgs/${org}/teams/${t.name}`, `/api/orgs/${org}/teams/${t.name}/tokens`]));
      const policyPaths = emulator.orgNames().flatMap((org) => [`/api/orgs/${org}/policygroups`, ...emulator.policyGroups(org).map((g) => `/api/orgs/${org}/policygroups/${g.name}`)]);
      // One document or listing per organization for each organization-level stream (search pages share
      // their path), and the newest version of each policy pack.
      const organizationPaths = emulator.orgNames().flatMap((org) => [
        ...['metadata', 'tokens', 'oidc/issuers', 'agent-pools', 'hooks', 'policypacks', 'resources/summary', 'search/resourcesv2'].map((endpoint) => `/api/orgs/${org}/${endpoint}`),
        ...emulator.policyPacks(org).map((pack) => `/api/orgs/${org}/policypacks/${pack.name}/versions/${pack.versions.at(-1) ?? ''}`),
      ]);
      assert.deepEqual(
        [...new Set(paths)].sort(),
        [
          '/api/orgs/acme/deployments',
          '/api/orgs/acme/members',
          '/api/orgs/acme/teams',
          '/api/orgs/globex/deployments',
          '/api/orgs/globex/members',
          '/api/orgs/globex/teams',
          '/api/user',
          '/api/user/stacks',
          ...environmentPaths,
          ...stackPaths,
          ...teamPaths,
          ...policyPaths,
          ...organizationPaths,
        ].sort(),
      );
      const urls = emulator.requests.map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`);
      assert.deepEqual(urls.filter((url, i) => urls.indexOf(url) !== i), [], 'no URL is asked for twice in a run');
      assert.equal(paths.filter((p) => p.endsWith('/versions')).length, environmentPaths.length - 2, 'one request per environment');
      // Before the sync: the token once; the organizations are among the user's, so no probe.
      assert.equal(paths.filter((p) => p === '/api/user').length, 1);
      assert.equal(emulator.requests.filter((r) => r.path === '/api/user/stacks' && r.query.maxResults === '1').length, 0);
      assert.equal(recordsByStream(third.stdout, 'airbyte').get('stack_updates'), undefined);
    } finally {
      await emulator.close();
    }
  });

  void it('pages are as large as configured, and update history stops at the bookmark', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 6, updatesPerStack: 60 });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, page_size: 10 });
      const first = await runCli(['read', '--config', config, '--catalog', catalog]);
      assert.equal(first.code, 0, first.stderr);
      const listings = emulator.requests.filter((r) => r.path === '/api/user/stacks' && r.query.maxResults !== '1');
      assert.ok(listings.length > 0 && listings.every((r) => r.query.maxResults === '10'));
      assert.ok(emulator.requests.filter((r) => r.path.endsWith('/updates')).every((r) => r.query.pageSize === '10'));
      finishRunningUpdates(emulator);
      const stack = emulator.stacks('acme').find((s) => (s.lastUpdate ?? 0) > 0 && emulator.updates('acme', s.projectName, s.stackName).length > 30)!;
      emulator.addUpdate('acme', stack.projectName, stack.stackName);
      emulator.resetRequests();
      const second = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 's.json', lastState(first.stdout, 'airbyte'))]);
      assert.equal(second.code, 0, second.stderr);
      const pages = emulator.requests.filter((r) => r.path === `/api/stacks/acme/${stack.projectName}/${stack.stackName}/updates`);
      assert.deepEqual(pages.map((r) => r.query.page), ['1'], 'one page holds the new update and the bookmark: no further page');
    } finally {
      await emulator.close();
    }
  });

  void it('keeps max_concurrency requests in flight, never more, across organizations', async () => {
    let inFlight = 0;
    let peak = 0;
    const emulator = await PulumiEmulator.start({
      orgs: ['acme', 'globex', 'initech'],
      stacksPerOrg: 20,
      updatesPerStack: 8,
      beforeRoute: async (_ctx, next) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(15);
        try {
          return await next();
        } finally {
          inFlight--;
        }
      },
    });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, max_concurrency: 5 });
      const result = await runCli(['read', '--config', config, '--catalog', catalog]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(peak, 5, `peak of ${peak} requests in flight`);
      const byStream = recordsByStream(result.stdout, 'airbyte');
      assert.equal(byStream.get('stack_updates')?.length, expectedCounts(emulator).stack_updates, 'interleaved stacks still deliver every update');
    } finally {
      await emulator.close();
    }
  });
});

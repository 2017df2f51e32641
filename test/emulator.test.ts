import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import {
  AUDIT_LOGS_NOT_AVAILABLE,
  ESC_NOT_ENABLED,
  NOT_STARTED_TIME,
  PulumiEmulator,
  type EmulatedAuditEvent,
  type EmulatedDeployment,
  type EmulatedEnvironment,
  type EmulatedRevision,
  type EmulatedStack,
  type EmulatorResponse,
  type EmulatedUpdate,
  type EmulatedUpdateInfo,
  type EmulatorOptions,
} from '../emulator/server.js';
import { positiveInt, tokenPage, withContinuation } from '../emulator/paging.js';
import { ROUTES } from '../emulator/resources/index.js';
import { HttpError, knownOrg, ok, route } from '../emulator/routing.js';

interface StacksPage {
  stacks: EmulatedStack[];
  continuationToken?: string;
}
interface UpdatesPage {
  updates: EmulatedUpdate[];
  itemsPerPage: number;
  total: number;
}
interface MembersPage {
  members: Array<{ role: string; user: { name: string; githubLogin: string }; created: string }>;
  continuationToken?: string;
}

function get(em: PulumiEmulator, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(em.url + path, { headers: { Authorization: `token ${em.token}`, ...headers } });
}

async function getJson<T>(em: PulumiEmulator, path: string): Promise<T> {
  const res = await get(em, path);
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text) as T;
}

async function expectError(em: PulumiEmulator, path: string, status: number, message: string): Promise<void> {
  const res = await get(em, path);
  assert.equal(res.status, status, path);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { code: status, message });
}

async function allStacks(em: PulumiEmulator, query: string): Promise<{ stacks: EmulatedStack[]; pages: number }> {
  const stacks: EmulatedStack[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const tokenPart = token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`;
    const page = await getJson<StacksPage>(em, `/api/user/stacks?${query}${tokenPart}`);
    pages++;
    stacks.push(...page.stacks);
    if (page.continuationToken !== undefined) {
      assert.ok(!seen.has(page.continuationToken), 'a continuation token repeats');
      seen.add(page.continuationToken);
    }
    token = page.continuationToken;
  } while (token !== undefined);
  return { stacks, pages };
}

function updatesPath(org: string, project: string, stack: string): string {
  return `/api/stacks/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(stack)}/updates`;
}

async function allUpdates(em: PulumiEmulator, stack: EmulatedStack, pageSize: number): Promise<{ updates: EmulatedUpdate[]; pages: number }> {
  const updates: EmulatedUpdate[] = [];
  for (let page = 1; ; page++) {
    const body = await getJson<UpdatesPage>(
      em,
      `${updatesPath(stack.orgName, stack.projectName, stack.stackName)}?output-type=service&page=${page}&pageSize=${pageSize}`,
    );
    assert.equal(body.itemsPerPage, pageSize);
    updates.push(...body.updates);
    if (body.updates.length < pageSize || page * pageSize >= body.total) return { updates, pages: page };
  }
}

async function allMembers(em: PulumiEmulator, org: string): Promise<{ members: MembersPage['members']; pages: number }> {
  const members: MembersPage['members'] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const tokenPart = token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`;
    const page = await getJson<MembersPage>(em, `/api/orgs/${org}/members?type=backend${tokenPart}`);
    pages++;
    members.push(...page.members);
    token = page.continuationToken;
  } while (token !== undefined);
  return { members, pages };
}

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET with the path sent as written: fetch and URL strings would resolve '%2e%2e' segments first. */
function getAsWritten(em: PulumiEmulator, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(em.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers: { Authorization: `token ${em.token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('emulator: default model', () => {
  let em: PulumiEmulator;
  before(async () => {
    em = await PulumiEmulator.start({ orgs: ['acme', 'globex'], orgsWithoutTeams: ['globex'] });
  });
  after(() => em.close());

  void it('rejects missing or wrong credentials with 401', async () => {
    const body = { code: 401, message: 'Unauthorized: No credentials provided or are invalid.' };
    const none = await fetch(`${em.url}/api/user`);
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('x-pulumi-request-id'));
    assert.deepEqual(await none.json(), body);
    for (const auth of ['token pul-wrong', `Bearer ${em.token}`, em.token]) {
      const res = await fetch(`${em.url}/api/user/stacks?organization=acme`, { headers: { Authorization: auth } });
      assert.equal(res.status, 401, auth);
      assert.deepEqual(await res.json(), body);
    }
    // Authentication comes before routing.
    assert.equal((await fetch(`${em.url}/api/nope`)).status, 401);
  });

  void it('answers /api/user with every org and a fresh request id per response', async () => {
    const a = await get(em, '/api/user');
    const b = await get(em, '/api/user');
    assert.equal(a.headers.get('content-type'), 'application/json');
    assert.notEqual(a.headers.get('x-pulumi-request-id'), b.headers.get('x-pulumi-request-id'));
    const user = (await a.json()) as { githubLogin: string; organizations: Array<{ githubLogin: string; name: string }> };
    await b.arrayBuffer();
    assert.equal(typeof user.githubLogin, 'string');
    assert.deepEqual(
      user.organizations.map((o) => o.githubLogin),
      ['acme', 'globex'],
    );
  });

  void it('pages stacks per org end to end with each stack once, in the inspection order', async () => {
    for (const org of em.orgNames()) {
      const { stacks, pages } = await allStacks(em, `organization=${org}&maxResults=5`);
      const expected = em.stacks(org);
      assert.equal(expected.length, 12);
      assert.equal(pages, 3);
      assert.deepEqual(stacks, expected);
      assert.equal(new Set(stacks.map((s) => s.id)).size, stacks.length);
      assert.ok(stacks.every((s) => s.orgName === org));
    }
    const whole = await getJson<StacksPage>(em, '/api/user/stacks?organization=acme');
    assert.equal(whole.stacks.length, 12);
    assert.equal(whole.continuationToken, undefined);
  });

  void it('lists every org without organization, and filters by project', async () => {
    const { stacks } = await allStacks(em, 'maxResults=7');
    assert.deepEqual(stacks, [...em.stacks('acme'), ...em.stacks('globex')]);
    const project = em.stacks('acme')[0]?.projectName ?? '';
    const filtered = await allStacks(em, `organization=acme&project=${encodeURIComponent(project)}&maxResults=1`);
    assert.deepEqual(
      filtered.stacks,
      em.stacks('acme').filter((s) => s.projectName === project),
    );
  });

  void it('generates realistic stacks', () => {
    const stacks = em.stacks('acme');
    const lastUpdates = stacks.flatMap((s) => (s.lastUpdate === undefined ? [] : [s.lastUpdate]));
    const sorted = [...lastUpdates].sort((a, b) => a - b);
    assert.notDeepEqual(lastUpdates, sorted, 'stacks must not come sorted by lastUpdate');
    assert.notDeepEqual(lastUpdates, [...sorted].reverse());
    assert.ok(stacks.some((s) => s.lastUpdate === undefined), 'a never-updated stack');
    assert.ok(stacks.some((s) => /[.]/.test(s.projectName)), 'a project name with a dot');
    for (const s of stacks) {
      assert.match(s.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.ok(s.links?.self.endsWith(`/${s.projectName}/${s.stackName}`));
      if (s.lastUpdate !== undefined) assert.ok(s.lastUpdate > 1.7e9 && s.lastUpdate < 1.75e9);
    }
  });

  void it('refuses malformed or foreign continuation tokens and bad maxResults with 400', async () => {
    const msg = 'Invalid continuation token';
    await expectError(em, '/api/user/stacks?organization=acme&continuationToken=%%%', 400, msg);
    await expectError(em, '/api/user/stacks?organization=acme&continuationToken=bm90LWpzb24', 400, msg);
    const first = await getJson<StacksPage>(em, '/api/user/stacks?organization=acme&maxResults=2');
    assert.ok(first.continuationToken);
    await expectError(em, `/api/user/stacks?organization=globex&continuationToken=${first.continuationToken}`, 400, msg);
    await expectError(em, `/api/orgs/acme/members?type=backend&continuationToken=${first.continuationToken}`, 400, msg);
    await expectError(em, '/api/user/stacks?organization=acme&maxResults=0', 400, "Invalid 'maxResults' value.");
  });

  void it('answers 404 for unknown orgs, stacks and routes', async () => {
    const msg = "Not Found: Organization 'nope' not found";
    await expectError(em, '/api/user/stacks?organization=nope', 404, msg);
    await expectError(em, '/api/orgs/nope/members?type=backend', 404, msg);
    await expectError(em, '/api/orgs/nope/teams', 404, msg);
    await expectError(em, '/api/stacks/nope/p/s/updates?output-type=service&page=1&pageSize=10', 404, msg);
    const res = await get(em, '/api/stacks/acme/no-project/dev/updates');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { code: 404, message: "Not Found: Stack 'acme/no-project/dev' not found" });
    for (const path of ['/api/unknown', '/', '/api/user/stacks/extra']) {
      const r = await get(em, path);
      assert.equal(r.status, 404, path);
      assert.equal(((await r.json()) as { code: number }).code, 404);
    }
    const post = await fetch(`${em.url}/api/user`, { method: 'POST', headers: { Authorization: `token ${em.token}` }, body: '{}' });
    assert.equal(post.status, 404);
    await post.arrayBuffer();
  });

  void it('pages every stack history newest first, matching the inspection data', async () => {
    let multiPage = 0;
    let inProgress = 0;
    for (const org of em.orgNames()) {
      for (const stack of em.stacks(org)) {
        const expected = em.updates(org, stack.projectName, stack.stackName);
        const { updates, pages } = await allUpdates(em, stack, 10);
        assert.deepEqual(updates, expected);
        if (pages >= 2) multiPage++;
        const versions = updates.map((u) => u.version);
        assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => versions.length - i));
        for (let i = 1; i < updates.length; i++) {
          assert.ok((updates[i]?.info.startTime ?? 0) < (updates[i - 1]?.info.startTime ?? 0), 'start times increase with version');
        }
        const newest = updates[0];
        assert.equal(stack.lastUpdate, newest?.info.startTime);
        if (!newest) continue;
        assert.ok(updates.every((u) => u.latestVersion === newest.version && u.info.version === u.version));
        if (newest.info.result === 'in-progress') {
          inProgress++;
          assert.equal(newest.info.endTime, 0);
        }
        assert.ok(updates.slice(1).every((u) => u.info.result === 'succeeded' || u.info.result === 'failed'));
        assert.ok(updates.filter((u) => u.info.endTime !== 0).every((u) => u.info.endTime >= u.info.startTime));
      }
    }
    assert.ok(multiPage >= 10, `most histories span pages (${multiPage})`);
    assert.ok(inProgress >= 1);
  });

  void it('generates update elements with the service shape and varying optional fields', () => {
    const all = em.orgNames().flatMap((org) => em.stacks(org).flatMap((s) => em.updates(org, s.projectName, s.stackName)));
    assert.ok(all.length > 100);
    const kinds = new Set(all.map((u) => u.info.kind));
    for (const k of ['update', 'preview', 'refresh']) assert.ok(kinds.has(k), k);
    assert.ok(all.some((u) => u.info.result === 'failed'));
    for (const key of ['githubCommitInfo', 'policyPacks', 'requestedByToken'] as const) {
      assert.ok(all.some((u) => u[key] !== undefined), `${key} present somewhere`);
      assert.ok(all.some((u) => u[key] === undefined), `${key} absent somewhere`);
    }
    assert.ok(all.some((u) => u.info.resourceChanges === undefined) && all.some((u) => u.info.resourceChanges?.['same'] !== undefined));
    for (const u of all) {
      assert.match(u.updateID, /^[0-9a-f-]{36}$/);
      assert.equal(u.info.environment['exec.kind'], 'cli');
      assert.match(u.info.environment['git.head'] ?? '', /^[0-9a-f]{40}$/);
      assert.ok(u.info.startTime > 1.7e9 && u.info.startTime < 1.75e9);
      assert.equal(typeof u.requestedBy.githubLogin, 'string');
      for (const value of Object.values(u.info.config)) {
        if (value.secret) assert.match(value.string, /^v1:/);
      }
    }
    assert.ok(all.some((u) => Object.values(u.info.config).some((v) => v.secret)));
  });

  void it('validates page and pageSize, and answers past the end with an empty page', async () => {
    const stack = em.stacks('acme').find((s) => (s.lastUpdate ?? 0) > 0);
    assert.ok(stack);
    const base = `${updatesPath('acme', stack.projectName, stack.stackName)}?output-type=service`;
    for (const page of ['0', '-1', 'abc', '1.5', '']) {
      await expectError(em, `${base}&page=${page}&pageSize=10`, 400, "Invalid 'page' value.");
    }
    await expectError(em, `${base}&page=1&pageSize=0`, 400, "Invalid 'pageSize' value.");
    const total = em.updates('acme', stack.projectName, stack.stackName).length;
    const beyond = await getJson<UpdatesPage>(em, `${base}&page=99&pageSize=10`);
    assert.deepEqual(beyond, { updates: [], itemsPerPage: 10, total });
    const whole = await getJson<UpdatesPage>(em, base);
    assert.equal(whole.updates.length, total);
    assert.equal(whole.total, total);
  });

  void it('serves the legacy shape without output-type', async () => {
    const stack = em.stacks('acme').find((s) => s.lastUpdate !== undefined);
    assert.ok(stack);
    const body = await getJson<{ updates: EmulatedUpdateInfo[] }>(em, updatesPath('acme', stack.projectName, stack.stackName));
    const expected = em.updates('acme', stack.projectName, stack.stackName);
    assert.deepEqual(Object.keys(body), ['updates']);
    assert.deepEqual(
      body.updates,
      expected.map((u) => u.info),
    );
    assert.ok(body.updates.every((u) => !('updateID' in u) && !('requestedBy' in u)));
  });

  void it('pages members with a continuation token', async () => {
    for (const org of em.orgNames()) {
      const { members, pages } = await allMembers(em, org);
      assert.equal(pages, 2); // 7 members, 5 per page
      assert.deepEqual(members, em.members(org));
      const logins = members.map((m) => m.user.githubLogin);
      assert.equal(new Set(logins).size, logins.length);
      const names = members.map((m) => m.user.name);
      assert.ok(new Set(names).size < names.length, 'a display name is shared');
      for (const m of members) assert.match(m.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    await expectError(em, '/api/orgs/acme/members?type=backend&continuationToken=xyz', 400, 'Invalid continuation token');
  });

  void it('returns teams in one piece, 403 on a plan without teams', async () => {
    const body = await getJson<{ teams: Array<{ name: string }> }>(em, '/api/orgs/acme/teams');
    assert.deepEqual(Object.keys(body), ['teams']);
    assert.equal(body.teams.length, 3);
    assert.deepEqual(body.teams, em.teams('acme'));
    await expectError(em, '/api/orgs/globex/teams', 403, 'Forbidden: teams are not available on this plan');
  });

  void it('gzips when asked and only then', async () => {
    const path = '/api/user/stacks?organization=acme';
    const auth = { Authorization: `token ${em.token}` };
    const zipped = await rawGet(em.url + path, { ...auth, 'Accept-Encoding': 'gzip, deflate' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers['content-type'], 'application/json');
    const viaGzip = JSON.parse(gunzipSync(zipped.body).toString('utf8')) as StacksPage;
    const plain = await rawGet(em.url + path, auth);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(viaGzip, JSON.parse(plain.body.toString('utf8')));
    assert.ok(zipped.body.length < plain.body.length);
    // Error bodies are compressed too, and fetch decompresses transparently.
    const err = await fetch(`${em.url}/api/user`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(err.headers.get('content-encoding'), 'gzip');
    assert.equal(((await err.json()) as { code: number }).code, 401);
  });

  void it('handles many concurrent keep-alive requests', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await get(em, `/api/user/stacks?organization=acme&maxResults=${(i % 12) + 1}`);
        const body = (await res.json()) as StacksPage;
        return res.status === 200 && body.stacks.length === (i % 12) + 1;
      }),
    );
    assert.ok(results.every(Boolean));
  });
});

void describe('emulator: kept answers (the benchmark)', () => {
  void it('sends a kept answer again with a fresh request id, logs every request, and forgets when turned off', async () => {
    const em = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 3, updatesPerStack: 2 });
    try {
      const path = '/api/user/stacks?organization=org-1';
      const auth = { Authorization: `token ${em.token}`, 'Accept-Encoding': 'gzip' };
      em.cacheAnswers(true);
      const first = await rawGet(em.url + path, auth);
      const [stack] = em.stacks('org-1');
      assert.ok(stack);
      em.addStack('org-1', 'late-project', 'dev');
      const second = await rawGet(em.url + path, auth);
      assert.deepEqual(second.body, first.body, 'the kept answer, not the changed data');
      assert.equal(second.headers['content-encoding'], 'gzip');
      assert.notEqual(second.headers['x-pulumi-request-id'], first.headers['x-pulumi-request-id']);
      const plain = await rawGet(em.url + path, { Authorization: auth.Authorization });
      assert.equal(plain.headers['content-encoding'], undefined, 'kept apart by encoding');
      // An error is never kept, and an answer is kept for its credentials only.
      assert.equal((await rawGet(`${em.url}/api/user`, {})).status, 401);
      assert.equal((await rawGet(`${em.url}/api/user`, {})).status, 401);
      assert.equal((await rawGet(`${em.url}/api/user`, { Authorization: auth.Authorization })).status, 200);
      assert.equal((await rawGet(`${em.url}/api/user`, { Authorization: 'token pul-wrong' })).status, 401);
      assert.equal(em.requests.length, 7);
      // A hook set while answers are kept decides again.
      em.beforeRoute = () => Promise.resolve({ status: 503, body: { code: 503, message: 'down' } });
      assert.equal((await rawGet(em.url + path, auth)).status, 503);
      em.beforeRoute = undefined;
      em.cacheAnswers(false);
      const fresh = JSON.parse(gunzipSync((await rawGet(em.url + path, auth)).body).toString('utf8')) as StacksPage;
      assert.ok(fresh.stacks.some((s) => s.projectName === 'late-project'));
    } finally {
      await em.close();
    }
  });

  void it('is refused while a hook decides the answers', async () => {
    const em = await PulumiEmulator.start({ orgs: 1, beforeRoute: (_ctx, next) => next() });
    try {
      assert.throws(() => em.cacheAnswers(true), /beforeRoute/);
    } finally {
      await em.close();
    }
  });
});

void describe('emulator: request log', () => {
  void it('records decoded path, query and status of every request in order', async () => {
    const em = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 3 });
    try {
      await (await get(em, '/api/user')).arrayBuffer();
      em.resetRequests();
      assert.deepEqual(em.requests, []);
      await (await fetch(`${em.url}/api/user`)).arrayBuffer();
      await (await get(em, '/api/user/stacks?organization=org-1&maxResults=2')).arrayBuffer();
      await (await get(em, '/api/stacks/org-1/my%20proj/st%2Bx/updates?output-type=service&page=1&pageSize=10')).arrayBuffer();
      await (await get(em, '/api/orgs/org-1/teams')).arrayBuffer();
      assert.deepEqual(em.requests, [
        { method: 'GET', path: '/api/user', query: {}, status: 401 },
        { method: 'GET', path: '/api/user/stacks', query: { organization: 'org-1', maxResults: '2' }, status: 200 },
        {
          method: 'GET',
          path: '/api/stacks/org-1/my proj/st+x/updates',
          query: { 'output-type': 'service', page: '1', pageSize: '10' },
          status: 404,
        },
        { method: 'GET', path: '/api/orgs/org-1/teams', query: {}, status: 200 },
      ]);
    } finally {
      await em.close();
    }
  });
});

void describe('emulator: determinism', () => {
  void it('produces the same data for the same seed and sizes, different data for another seed', async () => {
    const opts = { orgs: 2, stacksPerOrg: 20, updatesPerStack: 30 };
    const [a, b, c] = await Promise.all([
      PulumiEmulator.start({ ...opts, seed: 7 }),
      PulumiEmulator.start({ ...opts, seed: 7 }),
      PulumiEmulator.start({ ...opts, seed: 8 }),
    ]);
    try {
      const snapshot = (em: PulumiEmulator): unknown =>
        em.orgNames().map((org) => ({
          stacks: em.stacks(org),
          updates: em.stacks(org).map((s) => em.updates(org, s.projectName, s.stackName)),
          members: em.members(org),
          teams: em.teams(org),
        }));
      assert.deepEqual(snapshot(a), snapshot(b));
      assert.notDeepEqual(snapshot(a), snapshot(c));
      const overHttp = async (em: PulumiEmulator): Promise<unknown> => {
        const { stacks } = await allStacks(em, 'organization=org-2&maxResults=6');
        const first = stacks[0];
        assert.ok(first);
        return { stacks, updates: await allUpdates(em, first, 7) };
      };
      assert.deepEqual(await overHttp(a), await overHttp(b));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

void describe('emulator: mutations', () => {
  let em: PulumiEmulator;
  before(async () => {
    em = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 8, updatesPerStack: 12 });
  });
  after(() => em.close());

  const stackOverHttp = async (project: string, name: string): Promise<EmulatedStack | undefined> => {
    const { stacks } = await allStacks(em, 'organization=acme&maxResults=3');
    return stacks.find((s) => s.projectName === project && s.stackName === name);
  };

  void it('addUpdate appends a newest update and moves lastUpdate; finishUpdate does not', async () => {
    const stack = em.stacks('acme').find((s) => s.lastUpdate !== undefined);
    assert.ok(stack);
    const { projectName: p, stackName: s } = stack;
    const before = em.updates('acme', p, s);
    const added = em.addUpdate('acme', p, s, { result: 'in-progress', kind: 'refresh' });
    assert.equal(added.version, before.length + 1);
    assert.equal(added.info.result, 'in-progress');
    assert.equal(added.info.endTime, 0);
    assert.equal(added.info.kind, 'refresh');
    assert.ok(added.info.startTime > (stack.lastUpdate ?? 0));

    const afterAdd = await stackOverHttp(p, s);
    assert.equal(afterAdd?.lastUpdate, added.info.startTime);
    const { updates } = await allUpdates(em, stack, 10);
    assert.equal(updates.length, before.length + 1);
    assert.deepEqual(updates[0], added);
    assert.ok(updates.every((u) => u.latestVersion === added.version));
    // Older updates are unchanged apart from latestVersion.
    assert.deepEqual(
      updates.slice(1).map((u) => ({ ...u, latestVersion: 0 })),
      before.map((u) => ({ ...u, latestVersion: 0 })),
    );

    em.finishUpdate('acme', p, s, added.version, 'failed');
    const afterFinish = await stackOverHttp(p, s);
    assert.equal(afterFinish?.lastUpdate, added.info.startTime);
    const newest = (await allUpdates(em, stack, 10)).updates[0];
    assert.equal(newest?.info.result, 'failed');
    assert.ok((newest?.info.endTime ?? 0) > added.info.startTime);

    const explicit = em.addUpdate('acme', p, s, { startTime: 1_760_000_000 });
    assert.equal(explicit.info.result, 'succeeded');
    assert.equal(explicit.version, added.version + 1);
    assert.equal((await stackOverHttp(p, s))?.lastUpdate, 1_760_000_000);
    assert.ok(em.addUpdate('acme', p, s).info.startTime > 1_760_000_000, 'the clock never goes back');
  });

  void it('addStack adds a never-updated stack reachable by an encoded path', async () => {
    const count = em.stacks('acme').length;
    const added = em.addStack('acme', 'my project', 'feature/x');
    assert.equal(added.lastUpdate, undefined);
    const stacks = em.stacks('acme');
    assert.equal(stacks.length, count + 1);
    assert.deepEqual(stacks[stacks.length - 1], added);
    assert.deepEqual(await stackOverHttp('my project', 'feature/x'), added);
    em.resetRequests();
    const body = await getJson<UpdatesPage>(em, `${updatesPath('acme', 'my project', 'feature/x')}?output-type=service&page=1&pageSize=10`);
    assert.deepEqual(body, { updates: [], itemsPerPage: 10, total: 0 });
    assert.equal(em.requests[0]?.path, '/api/stacks/acme/my project/feature/x/updates');
    const first = em.addUpdate('acme', 'my project', 'feature/x');
    assert.equal(first.version, 1);
    assert.equal((await stackOverHttp('my project', 'feature/x'))?.lastUpdate, first.info.startTime);
    assert.throws(() => em.addStack('acme', 'my project', 'feature/x'));
    assert.throws(() => em.finishUpdate('acme', 'my project', 'feature/x', 5));
  });
});

void describe('emulator: options', () => {
  void it('applies latency before every response', async () => {
    const em = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 2, latencyMs: 120 });
    try {
      const started = performance.now();
      await (await get(em, '/api/user')).arrayBuffer();
      await (await fetch(`${em.url}/api/user`)).arrayBuffer();
      assert.ok(performance.now() - started >= 230);
    } finally {
      await em.close();
    }
  });

  void it('honours the page size options', async () => {
    const em = await PulumiEmulator.start({
      orgs: 1,
      stacksPerOrg: 10,
      updatesPerStack: 9,
      membersPerOrg: 7,
      stacksDefaultPageSize: 3,
      stacksMaxPageSize: 4,
      updatesMaxPageSize: 4,
      membersPageSize: 2,
    });
    try {
      assert.equal((await allStacks(em, 'organization=org-1')).pages, 4);
      assert.equal((await allStacks(em, 'organization=org-1&maxResults=100')).pages, 3);
      const stack = em.stacks('org-1').find((s) => em.updates('org-1', s.projectName, s.stackName).length === 9);
      assert.ok(stack);
      const capped = await getJson<UpdatesPage>(em, `${updatesPath('org-1', stack.projectName, stack.stackName)}?output-type=service&page=1&pageSize=50`);
      assert.equal(capped.itemsPerPage, 4);
      assert.equal(capped.updates.length, 4);
      assert.equal((await allUpdates(em, stack, 4)).updates.length, 9);
      assert.equal((await allMembers(em, 'org-1')).pages, 4);
    } finally {
      await em.close();
    }
  });

  void it('lets a beforeRoute hook answer or alter any response, logged as sent', async () => {
    const em = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 2 });
    try {
      em.beforeRoute = async (ctx, next): Promise<EmulatorResponse> => {
        if (ctx.query['fail'] === '1') return { status: 503, rawBody: '<html>unavailable</html>', headers: { 'Content-Type': 'text/html' } };
        const res = await next();
        return { ...res, headers: { ...res.headers, 'X-Hooked': String(ctx.sequence) } };
      };
      const failed = await get(em, '/api/user?fail=1');
      assert.equal(failed.status, 503);
      assert.equal(await failed.text(), '<html>unavailable</html>');
      assert.ok(failed.headers.get('x-pulumi-request-id'));
      const ok = await get(em, '/api/user');
      assert.equal(ok.status, 200);
      assert.ok(ok.headers.get('x-hooked'));
      await ok.arrayBuffer();
      assert.deepEqual(
        em.requests.map((r) => r.status),
        [503, 200],
      );
    } finally {
      await em.close();
    }
  });

  void it('starts a benchmark-sized model quickly and serves it', async () => {
    const started = performance.now();
    const em = await PulumiEmulator.start({ orgs: 3, stacksPerOrg: 1000, updatesPerStack: 100 });
    const elapsed = performance.now() - started;
    try {
      assert.ok(elapsed < 1000, `startup took ${elapsed.toFixed(0)} ms`);
      assert.equal(em.orgNames().reduce((n, org) => n + em.stacks(org).length, 0), 3000);
      const { stacks, pages } = await allStacks(em, 'organization=org-3&maxResults=500');
      assert.equal(stacks.length, 1000);
      assert.equal(pages, 2);
      const full = em.stacks('org-1').find((s) => em.updates('org-1', s.projectName, s.stackName).length === 100);
      assert.ok(full);
      const { updates, pages: updatePages } = await allUpdates(em, full, 10);
      assert.equal(updates.length, 100);
      assert.equal(updatePages, 10);
    } finally {
      await em.close();
    }
  });

  void it('keeps only the newest requests when told to (a standalone emulator serving for hours)', async () => {
    const em = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, requestLogLimit: 2 });
    try {
      for (const path of ['/api/user', '/api/orgs/acme/teams', '/api/orgs/acme/members']) await getJson(em, path);
      assert.deepEqual(em.requests.map((r) => r.path), ['/api/orgs/acme/teams', '/api/orgs/acme/members']);
    } finally {
      await em.close();
    }
  });

  void it('rejects invalid options', async () => {
    await assert.rejects(PulumiEmulator.start({ requestLogLimit: 0 }), RangeError);
    await assert.rejects(PulumiEmulator.start({ orgs: ['a', 'a'] }), RangeError);
    await assert.rejects(PulumiEmulator.start({ stacksPerOrg: -1 }), RangeError);
    await assert.rejects(PulumiEmulator.start({ membersPageSize: 0 }), RangeError);
  });
});

interface EnvironmentsPage {
  environments: EmulatedEnvironment[];
  nextToken: string;
}
interface DeploymentsPage {
  deployments: EmulatedDeployment[];
  itemsPerPage: number;
  total: number;
}
interface AuditPage {
  auditLogEvents: EmulatedAuditEvent[];
  continuationToken?: string;
}

const SPACED_SECONDS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
const SPACED_MILLIS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
const RFC3339_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function allEnvironments(em: PulumiEmulator, org: string, maxResults: number): Promise<{ environments: EmulatedEnvironment[]; pages: EnvironmentsPage[] }> {
  const pages: EnvironmentsPage[] = [];
  let token = '';
  do {
    const page: EnvironmentsPage = await getJson(em, `/api/esc/environments/${org}?maxResults=${maxResults}${token ? `&continuationToken=${token}` : ''}`);
    pages.push(page);
    token = page.nextToken;
  } while (token !== '');
  return { environments: pages.flatMap((p) => p.environments), pages };
}

function versionsPath(org: string, project: string, env: string): string {
  return `/api/esc/environments/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(env)}/versions`;
}

/** Every revision by keyset paging, as the ESC CLI pages: `before` the oldest number seen until an empty page. */
async function allRevisions(em: PulumiEmulator, org: string, project: string, env: string, count: number): Promise<{ revisions: EmulatedRevision[]; pages: number }> {
  const revisions: EmulatedRevision[] = [];
  let pages = 0;
  for (;;) {
    const oldest = revisions[revisions.length - 1];
    const page = await getJson<EmulatedRevision[]>(em, `${versionsPath(org, project, env)}?count=${count}${oldest ? `&before=${oldest.number}` : ''}`);
    pages++;
    if (page.length === 0) return { revisions, pages };
    assert.ok(page.length <= count);
    revisions.push(...page);
  }
}

async function allDeployments(em: PulumiEmulator, org: string, query: string, pageSize: number): Promise<{ deployments: EmulatedDeployment[]; pages: number }> {
  const deployments: EmulatedDeployment[] = [];
  for (let page = 1; ; page++) {
    const body = await getJson<DeploymentsPage>(em, `/api/orgs/${org}/deployments?page=${page}&pageSize=${pageSize}${query}`);
    assert.equal(body.itemsPerPage, pageSize);
    deployments.push(...body.deployments);
    if (page * pageSize >= body.total) return { deployments, pages: page };
  }
}

async function allAuditEvents(em: PulumiEmulator, org: string, query = ''): Promise<{ events: EmulatedAuditEvent[]; pages: AuditPage[] }> {
  const pages: AuditPage[] = [];
  let token: string | undefined;
  do {
    const page: AuditPage = await getJson(em, `/api/orgs/${org}/auditlogs/v2?${query}${token ? `&continuationToken=${token}` : ''}`);
    pages.push(page);
    token = page.continuationToken;
  } while (token !== undefined);
  return { events: pages.flatMap((p) => p.auditLogEvents), pages };
}

/** An emulator started before the suite this is called in and closed after it; `em()` is that emulator. */
function suiteEmulator(options: EmulatorOptions): () => PulumiEmulator {
  let started: PulumiEmulator | undefined;
  before(async () => {
    started = await PulumiEmulator.start(options);
  });
  after(() => started?.close());
  return () => {
    assert.ok(started, 'the suite has started its emulator');
    return started;
  };
}

void describe('emulator: ESC environments and revisions', () => {
  const em = suiteEmulator({ orgs: ['acme', 'globex', 'initech'], environmentsPerOrg: 7, orgsWithoutEnvironments: ['initech'] });

  void it('pages environments by token, with an empty nextToken on the last page, in the inspection order', async () => {
    for (const org of ['acme', 'globex']) {
      const { environments, pages } = await allEnvironments(em(), org, 3);
      assert.deepEqual(pages.map((p) => p.environments.length), [3, 3, 1]);
      assert.deepEqual(pages.map((p) => p.nextToken === ''), [false, false, true]);
      assert.deepEqual(environments, em().environments(org));
      const keys = environments.map((e) => `${e.project}/${e.name}`);
      assert.equal(new Set(keys).size, keys.length);
      assert.deepEqual(keys, [...keys].sort((a, b) => a.localeCompare(b)), 'by project, then name');
    }
    const whole = await getJson<EnvironmentsPage>(em(), '/api/esc/environments/acme');
    assert.deepEqual(whole, { environments: em().environments('acme'), nextToken: '' });
  });

  void it('generates environments in the service shape', () => {
    const all = ['acme', 'globex'].flatMap((org) => em().environments(org));
    for (const e of all) {
      assert.match(e.id, UUID);
      assert.match(e.created, SPACED_SECONDS);
      assert.match(e.modified, SPACED_SECONDS);
      assert.ok(e.modified >= e.created);
      assert.equal(typeof e.ownedBy.githubLogin, 'string');
      assert.equal(typeof e.settings.deletionProtected, 'boolean');
      for (const count of Object.values(e.referrerMetadata)) assert.ok(Number.isInteger(count) && count >= 0);
      assert.ok(Object.values(e.tags).every((v) => typeof v === 'string'));
    }
    assert.ok(all.some((e) => Object.keys(e.tags).length === 0) && all.some((e) => Object.keys(e.tags).length > 0), 'tags are sometimes empty');
    assert.ok(all.some((e) => e.project === 'default'));
  });

  void it('refuses foreign tokens and bad maxResults; 403 without ESC, 404 for an unknown org', async () => {
    const stacksToken = (await getJson<StacksPage>(em(), '/api/user/stacks?organization=acme&maxResults=1')).continuationToken;
    await expectError(em(), `/api/esc/environments/acme?continuationToken=${stacksToken ?? ''}`, 400, 'Invalid continuation token');
    const acmeToken = (await getJson<EnvironmentsPage>(em(), '/api/esc/environments/acme?maxResults=1')).nextToken;
    await expectError(em(), `/api/esc/environments/globex?continuationToken=${acmeToken}`, 400, 'Invalid continuation token');
    await expectError(em(), '/api/esc/environments/acme?maxResults=0', 400, "Invalid 'maxResults' value.");
    await expectError(em(), '/api/esc/environments/initech', 403, ESC_NOT_ENABLED);
    await expectError(em(), '/api/esc/environments/initech/default/dev/versions', 403, ESC_NOT_ENABLED);
    await expectError(em(), '/api/esc/environments/nope', 404, "Not Found: Organization 'nope' not found");
    await expectError(em(), versionsPath('acme', 'default', 'no-such-env'), 404, "Not Found: environment 'acme/default/no-such-env' not found");
  });

  void it('pages revisions newest first by before/count, down to an empty page', async () => {
    let full = 0;
    let empty = 0;
    for (const org of ['acme', 'globex']) {
      for (const env of em().environments(org)) {
        const expected = em().revisions(org, env.project, env.name);
        const { revisions, pages } = await allRevisions(em(), org, env.project, env.name, 5);
        assert.deepEqual(revisions, expected);
        assert.equal(pages, Math.ceil(expected.length / 5) + 1);
        assert.deepEqual(revisions.map((r) => r.number), Array.from({ length: revisions.length }, (_, i) => revisions.length - i));
        for (const [i, r] of revisions.entries()) {
          assert.match(r.created, RFC3339_Z);
          if (i > 0) assert.ok(r.created < (revisions[i - 1]?.created ?? ''), 'created grows with number');
          assert.equal(r.tags.includes('latest'), i === 0);
          if (r.retracted) assert.ok(r.retracted.replacement > r.number && RFC3339_Z.test(r.retracted.at));
        }
        if (expected.length === 12) full++;
        if (expected.length === 0) empty++;
      }
    }
    assert.ok(full >= 2 && empty >= 2, `a full history and an empty one per org (${full}, ${empty})`);
    const env = em().environments('acme').find((e) => em().revisions('acme', e.project, e.name).length === 12);
    assert.ok(env);
    const path = versionsPath('acme', env.project, env.name);
    assert.deepEqual((await getJson<EmulatedRevision[]>(em(), `${path}?before=8&count=3`)).map((r) => r.number), [7, 6, 5]);
    assert.deepEqual(await getJson<EmulatedRevision[]>(em(), `${path}?before=1`), []);
    assert.equal((await getJson<EmulatedRevision[]>(em(), `${path}?before=99`)).length, 12);
    assert.equal((await getJson<EmulatedRevision[]>(em(), path)).length, 12, 'count defaults to 100');
    await expectError(em(), `${path}?count=0`, 400, "Invalid 'count' value.");
    await expectError(em(), `${path}?before=x`, 400, "Invalid 'before' value.");
  });

  void it('sometimes retracts a revision, links a change request, or tags more than the newest', async () => {
    const big = await PulumiEmulator.start({ orgs: 1, environmentsPerOrg: 30 });
    try {
      const all = big.environments('org-1').flatMap((e) => big.revisions('org-1', e.project, e.name));
      assert.ok(all.some((r) => r.retracted !== undefined));
      assert.ok(all.some((r) => r.sourceChangeRequest !== undefined));
      assert.ok(all.some((r) => r.tags.length > 1 || (r.tags.length === 1 && r.tags[0] !== 'latest')));
    } finally {
      await big.close();
    }
  });

  void it('caps maxResults and count at 500', async () => {
    const big = await PulumiEmulator.start({ orgs: 1, environmentsPerOrg: 501, revisionsPerEnvironment: 501 });
    try {
      const page = await getJson<EnvironmentsPage>(big, '/api/esc/environments/org-1?maxResults=1000');
      assert.equal(page.environments.length, 500);
      assert.notEqual(page.nextToken, '');
      const env = big.environments('org-1').find((e) => big.revisions('org-1', e.project, e.name).length === 501);
      assert.ok(env);
      assert.equal((await getJson<EmulatedRevision[]>(big, `${versionsPath('org-1', env.project, env.name)}?count=1000`)).length, 500);
    } finally {
      await big.close();
    }
  });

  void it('addRevision appends revision N+1, created now and tagged latest, and moves modified', async () => {
    const env = em().environments('globex').find((e) => em().revisions('globex', e.project, e.name).length > 0);
    assert.ok(env);
    const before = em().revisions('globex', env.project, env.name);
    const added = em().addRevision('globex', env.project, env.name);
    assert.equal(added.number, before.length + 1);
    assert.deepEqual(added.tags, ['latest']);
    assert.ok(added.created > (before[0]?.created ?? ''));
    const [newest, previous] = await getJson<EmulatedRevision[]>(em(), `${versionsPath('globex', env.project, env.name)}?count=2`);
    assert.deepEqual(newest, added);
    assert.equal(previous?.tags.includes('latest'), false);
    const modified = em().environments('globex').find((e) => e.id === env.id)?.modified ?? '';
    assert.equal(modified, added.created.replace('T', ' ').replace('Z', ''));
    assert.throws(() => em().addRevision('globex', 'default', 'no-such-env'), RangeError);
  });
});

void describe('emulator: organization deployments', () => {
  const em = suiteEmulator({ orgs: ['acme', 'globex'], orgsWithoutDeployments: ['globex'] });

  void it('pages deployments by number with itemsPerPage and total, newest first, oldest first with asc=true', async () => {
    const expected = em().deployments('acme');
    assert.equal(expected.length, 15);
    const first = await getJson<DeploymentsPage>(em(), '/api/orgs/acme/deployments');
    assert.deepEqual(first, { deployments: expected.slice(0, 10), itemsPerPage: 10, total: 15 });
    const { deployments, pages } = await allDeployments(em(), 'acme', '', 4);
    assert.equal(pages, 4);
    assert.deepEqual(deployments, expected);
    const created = deployments.map((d) => d.created);
    assert.deepEqual(created, [...created].sort().reverse(), 'newest first');
    assert.deepEqual((await allDeployments(em(), 'acme', '&sort=created&asc=true', 6)).deployments, [...expected].reverse());
    const byModified = (await allDeployments(em(), 'acme', '&sort=modified', 15)).deployments.map((d) => d.modified);
    assert.deepEqual(byModified, [...byModified].sort().reverse());
    const beyond = await getJson<DeploymentsPage>(em(), '/api/orgs/acme/deployments?page=9&pageSize=5');
    assert.deepEqual(beyond, { deployments: [], itemsPerPage: 5, total: 15 });
    const capped = await getJson<DeploymentsPage>(em(), '/api/orgs/acme/deployments?pageSize=500');
    assert.equal(capped.itemsPerPage, 100);
    assert.equal(capped.deployments.length, 15);
  });

  void it('refuses bad page, pageSize, asc and sort; lists nothing for an org without Deployments', async () => {
    await expectError(em(), '/api/orgs/acme/deployments?page=0', 400, "Invalid 'page' value.");
    await expectError(em(), '/api/orgs/acme/deployments?pageSize=0', 400, "Invalid 'pageSize' value.");
    await expectError(em(), '/api/orgs/acme/deployments?asc=yes', 400, "Invalid 'asc' value.");
    await expectError(em(), '/api/orgs/acme/deployments?sort=color', 400, "Invalid 'sort' value.");
    await expectError(em(), '/api/orgs/nope/deployments', 404, "Not Found: Organization 'nope' not found");
    assert.deepEqual(await getJson<DeploymentsPage>(em(), '/api/orgs/globex/deployments'), { deployments: [], itemsPerPage: 10, total: 0 });
  });

  void it('generates deployments of existing stacks in the service shape, with a fake secret in every update', () => {
    const deployments = em().deployments('acme');
    const stacks = new Set(em().stacks('acme').map((s) => `${s.projectName}/${s.stackName}`));
    assert.equal(deployments[0]?.status, 'running');
    assert.ok(deployments.slice(2).every((d) => ['succeeded', 'failed', 'skipped'].includes(d.status)), 'only the newest one or two still run');
    // Versions count each stack's deployments, oldest first.
    const seen = new Map<string, number>();
    for (const d of [...deployments].reverse()) {
      const key = `${d.projectName}/${d.stackName}`;
      assert.ok(stacks.has(key), key);
      assert.equal(d.version, (seen.get(key) ?? 0) + 1);
      seen.set(key, d.version);
    }
    for (const d of deployments) {
      assert.match(d.id, UUID);
      assert.match(d.created, SPACED_MILLIS);
      assert.match(d.modified, SPACED_MILLIS);
      assert.ok(d.modified >= d.created);
      for (const u of d.updates) {
        assert.match(u.environment['AWS_SECRET_ACCESS_KEY'] ?? '', /^not-a-real-secret-\d+$/);
        assert.equal(u.result === 'in-progress', u.endTime === 0);
      }
      for (const job of d.jobs) {
        assert.equal(job.status, d.status);
        for (const step of job.steps) {
          assert.match(step.started, RFC3339_Z);
          if (step.status === 'not-started') assert.deepEqual([step.started, step.lastUpdated], [NOT_STARTED_TIME, NOT_STARTED_TIME]);
        }
      }
    }
    assert.ok(deployments.some((d) => d.updates.length > 0));
    assert.ok(deployments.some((d) => d.agentPool !== undefined) && deployments.some((d) => d.agentPool === undefined));
    assert.ok(new Set(deployments.map((d) => d.initiator)).size > 1);
  });

  void it('addDeployment adds a running deployment first; setDeploymentStatus finishes it and moves modified', async () => {
    const stack = em().stacks('acme')[0];
    assert.ok(stack);
    const previous = em().deployments('acme').filter((d) => d.projectName === stack.projectName && d.stackName === stack.stackName);
    const added = em().addDeployment('acme', { projectName: stack.projectName, stackName: stack.stackName, pulumiOperation: 'refresh' });
    assert.equal(added.status, 'running');
    assert.equal(added.pulumiOperation, 'refresh');
    assert.equal(added.version, previous.length + 1);
    assert.ok(added.created > (em().deployments('acme')[1]?.created ?? ''));
    const page = await getJson<DeploymentsPage>(em(), '/api/orgs/acme/deployments?pageSize=1');
    assert.deepEqual(page, { deployments: [added], itemsPerPage: 1, total: 16 });

    const finished = em().setDeploymentStatus('acme', added.id, 'succeeded');
    assert.equal(finished.status, 'succeeded');
    assert.ok(finished.modified > added.modified);
    assert.equal(finished.created, added.created);
    assert.ok(finished.jobs[0]?.steps.every((s) => s.status === 'succeeded'));
    assert.equal(finished.updates[0]?.result, 'succeeded');
    assert.deepEqual((await getJson<DeploymentsPage>(em(), '/api/orgs/acme/deployments?pageSize=1&sort=modified')).deployments, [finished]);

    // An org that did not use Deployments lists the first one it starts.
    const started = em().addDeployment('globex', { status: 'accepted' });
    assert.deepEqual(await getJson<DeploymentsPage>(em(), '/api/orgs/globex/deployments'), { deployments: [started], itemsPerPage: 10, total: 1 });
    assert.deepEqual(started.updates, []);
    assert.throws(() => em().setDeploymentStatus('acme', 'no-such-id', 'failed'), RangeError);
    assert.throws(() => em().addDeployment('acme', { projectName: 'nope', stackName: 'dev' }), RangeError);
  });
});

void describe('emulator: audit log events', () => {
  const em = suiteEmulator({ orgs: ['acme', 'globex'], orgsWithoutAuditLogs: ['globex'] });

  void it('pages 60 events newest first, 25 a page, without a token on the last page', async () => {
    const { events, pages } = await allAuditEvents(em(), 'acme');
    assert.deepEqual(pages.map((p) => p.auditLogEvents.length), [25, 25, 10]);
    assert.deepEqual(Object.keys(pages[2] ?? {}), ['auditLogEvents']);
    assert.deepEqual(events, em().auditEvents('acme'));
    const times = events.map((e) => e.timestamp);
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.ok(times.some((t, i) => t === times[i - 1]), 'two events share a timestamp');
    assert.equal(times[24], times[25], 'also across the first page boundary');
    for (const e of events) {
      assert.ok(Number.isInteger(e.timestamp) && e.timestamp > 1.7e9 && e.timestamp < 1.75e9);
      assert.equal(typeof e.sourceIP, 'string');
      assert.match(e.event, /^[a-z]+(\.[a-z]+)+$/);
      assert.deepEqual(Object.keys(e.user), ['name', 'githubLogin', 'avatarUrl']);
    }
    for (const key of ['tokenID', 'reqOrgAdmin', 'authFailure', 'actorUrn'] as const) {
      assert.ok(events.some((e) => e[key] !== undefined) && events.some((e) => e[key] === undefined), key);
    }
  });

  void it('answers the window [startTime, endTime) only, and refuses a token of another window', async () => {
    const all = em().auditEvents('acme');
    const from = all[40]?.timestamp ?? 0;
    const to = all[5]?.timestamp ?? 0;
    const inWindow = all.filter((e) => e.timestamp >= from && e.timestamp < to);
    const { events, pages } = await allAuditEvents(em(), 'acme', `startTime=${from}&endTime=${to}`);
    assert.deepEqual(events, inWindow);
    assert.ok(events.some((e) => e.timestamp === from) && !events.some((e) => e.timestamp === to));
    assert.equal(pages.length, 2);
    assert.deepEqual((await allAuditEvents(em(), 'acme', `startTime=${from}`)).events, all.filter((e) => e.timestamp >= from));
    assert.deepEqual((await getJson<AuditPage>(em(), `/api/orgs/acme/auditlogs/v2?startTime=${to}&endTime=${from}`)).auditLogEvents, []);
    const token = pages[0]?.continuationToken ?? '';
    await expectError(em(), `/api/orgs/acme/auditlogs/v2?startTime=${from}&continuationToken=${token}`, 400, 'Invalid continuation token');
    await expectError(em(), '/api/orgs/acme/auditlogs/v2?startTime=yesterday', 400, "Invalid 'startTime' value.");
    await expectError(em(), '/api/orgs/acme/auditlogs/v2?endTime=-1', 400, "Invalid 'endTime' value.");
  });

  void it('answers 403 on a plan without audit logs and 404 for an unknown org', async () => {
    await expectError(em(), '/api/orgs/globex/auditlogs/v2', 403, AUDIT_LOGS_NOT_AVAILABLE);
    await expectError(em(), '/api/orgs/nope/auditlogs/v2', 404, "Not Found: Organization 'nope' not found");
  });

  void it('addAuditEvent logs a newest event; a client paging meanwhile sees neither a repeat nor a gap', async () => {
    const before = em().auditEvents('acme');
    const first = await getJson<AuditPage>(em(), '/api/orgs/acme/auditlogs/v2');
    const added = em().addAuditEvent('acme', { event: 'stack.update', description: "Updated stack 'x/y'" });
    assert.ok(added.timestamp > (before[0]?.timestamp ?? 0));
    assert.equal(added.event, 'stack.update');
    let token = first.continuationToken;
    const rest: EmulatedAuditEvent[] = [];
    while (token !== undefined) {
      const page: AuditPage = await getJson(em(), `/api/orgs/acme/auditlogs/v2?continuationToken=${token}`);
      rest.push(...page.auditLogEvents);
      token = page.continuationToken;
    }
    assert.deepEqual([...first.auditLogEvents, ...rest], before);
    const { events } = await allAuditEvents(em(), 'acme', `startTime=${added.timestamp}`);
    assert.deepEqual(events, [added]);
    assert.deepEqual(em().auditEvents('acme')[0], added);
  });
});

void describe('emulator: determinism of the ESC, deployment and audit log data', () => {
  void it('gives the same answers for the same options and other ones for another seed, leaving older resources alone', async () => {
    const opts = { orgs: 2, environmentsPerOrg: 5, deploymentsPerOrg: 12, auditEventsPerOrg: 30 };
    const [a, b, c, plain] = await Promise.all([
      PulumiEmulator.start({ ...opts, seed: 5 }),
      PulumiEmulator.start({ ...opts, seed: 5 }),
      PulumiEmulator.start({ ...opts, seed: 6 }),
      PulumiEmulator.start({ orgs: 2, seed: 5, environmentsPerOrg: 0, deploymentsPerOrg: 0, auditEventsPerOrg: 0 }),
    ]);
    try {
      const overHttp = async (em: PulumiEmulator): Promise<unknown> => {
        const answers: unknown[] = [];
        for (const org of em.orgNames()) {
          const { environments } = await allEnvironments(em, org, 2);
          const revisions = await Promise.all(environments.map((e) => allRevisions(em, org, e.project, e.name, 4)));
          answers.push(environments, revisions, await allDeployments(em, org, '', 5), await allAuditEvents(em, org));
        }
        return answers;
      };
      assert.deepEqual(await overHttp(a), await overHttp(b));
      assert.notDeepEqual(await overHttp(a), await overHttp(c));
      // The new resources draw from streams of their own: the stacks, updates, members and teams are those of a model without them.
      const older = (em: PulumiEmulator): unknown =>
        em.orgNames().map((org) => [em.stacks(org), em.stacks(org).map((s) => em.updates(org, s.projectName, s.stackName)), em.members(org), em.teams(org)]);
      assert.deepEqual(older(a), older(plain));
    } finally {
      await Promise.all([a.close(), b.close(), c.close(), plain.close()]);
    }
  });
});

void describe('emulator: route table', () => {
  void it('lists every endpoint once', () => {
    const endpoints = ROUTES.map((r) => `${r.method} ${r.pattern}`);
    assert.equal(new Set(endpoints).size, endpoints.length);
    for (const endpoint of [
      'GET /api/user',
      'GET /api/user/stacks',
      'GET /api/stacks/:org/:project/:stack/updates',
      'GET /api/orgs/:org/members',
      'GET /api/orgs/:org/teams',
      'GET /api/esc/environments/:org',
      'GET /api/esc/environments/:org/:project/:env/versions',
      'GET /api/orgs/:org/deployments',
      'GET /api/orgs/:org/auditlogs/v2',
    ]) {
      assert.ok(endpoints.includes(endpoint), endpoint);
    }
  });

  void it('matches literal segments exactly and binds each :name to one segment, empty ones too', () => {
    const echo = route('GET', '/api/stacks/:org/:project/x', (params) => ok(params));
    assert.equal(echo.match(['api', 'stacks', 'acme', 'p']), undefined, 'too few segments');
    assert.equal(echo.match(['api', 'stacks', 'acme', 'p', 'x', '']), undefined, 'a trailing slash is one segment more');
    assert.equal(echo.match(['API', 'stacks', 'acme', 'p', 'x']), undefined, 'literals are case-sensitive');
    assert.equal(echo.match(['api', 'stacks', 'acme', 'p', 'y']), undefined);
    assert.ok(echo.match(['api', 'stacks', '', 'p', 'x']));
  });

  void it('answers 404 with the path for every request no route takes, methods included', async () => {
    const em = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 2 });
    try {
      for (const path of ['/api/orgs/acme', '/api/orgs/acme/teams/extra/more', '/api/orgs/acme/members/', '/api/Orgs/acme/teams', '/api/stacks/acme/p/s/updates/extra', '/api/user/', '/api']) {
        await expectError(em, path, 404, `Not Found: ${path}`);
      }
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${em.url}/api/orgs/acme/teams`, { method, headers: { Authorization: `token ${em.token}` } });
        assert.equal(res.status, 404, method);
        assert.deepEqual(await res.json(), { code: 404, message: 'Not Found: /api/orgs/acme/teams' });
      }
    } finally {
      await em.close();
    }
  });

  void it('gives handlers URL-decoded parameters', async () => {
    const em = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, routes: [route('GET', '/api/echo/:org/:name', (params) => ok(params))] });
    try {
      const cases: Array<[string, { org: string; name: string }]> = [
        ['/api/echo/acme/plain', { org: 'acme', name: 'plain' }],
        ['/api/echo/a%2Fb/my%20proj', { org: 'a/b', name: 'my proj' }],
        ['/api/echo/%2e%2e/%2E', { org: '..', name: '.' }],
        ['/api/echo//caf%C3%A9', { org: '', name: 'café' }],
        ['/api/echo/acme/100%25', { org: 'acme', name: '100%' }],
        // Not valid percent-encoding: passed on as sent.
        ['/api/echo/acme/%E0%A4%A', { org: 'acme', name: '%E0%A4%A' }],
      ];
      for (const [path, params] of cases) {
        const res = await getAsWritten(em, path);
        assert.equal(res.status, 200, path);
        assert.deepEqual(JSON.parse(res.body), params, path);
      }
      // Only the table given is served.
      await expectError(em, '/api/user', 404, 'Not Found: /api/user');
    } finally {
      await em.close();
    }
  });

  void it('serves a new endpoint added to the table, behind the same authentication, hooks and request log', async () => {
    // A made-up listing of the org's members' logins, with the shared paging and errors.
    const logins = route('GET', '/api/orgs/:org/logins', (params, query, { model }) => {
      const org = knownOrg(model, params.org);
      if (query['sort'] !== undefined && query['sort'] !== 'asc') throw new HttpError(400, "Invalid 'sort' value.");
      const pageSize = positiveInt(query['pageSize'], 'pageSize') ?? 3;
      const all = Array.from({ length: 7 }, (_, i) => `${org.name}-user-${i}`);
      const page = tokenPage(all, query['continuationToken'], { kind: 'logins', scope: org.name }, pageSize);
      return ok(withContinuation({ logins: page.items }, page.continuationToken));
    });
    const em = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 2, routes: [...ROUTES, logins] });
    try {
      const pages: Array<{ logins: string[]; continuationToken?: string }> = [];
      let token: string | undefined;
      do {
        const page: { logins: string[]; continuationToken?: string } = await getJson(em, `/api/orgs/acme/logins${token ? `?continuationToken=${token}` : ''}`);
        pages.push(page);
        token = page.continuationToken;
      } while (token !== undefined);
      assert.deepEqual(pages.map((p) => p.logins.length), [3, 3, 1]);
      assert.deepEqual(Object.keys(pages[2] ?? {}), ['logins'], 'no token on the last page');
      assert.equal(new Set(pages.flatMap((p) => p.logins)).size, 7);

      await expectError(em, '/api/orgs/nope/logins', 404, "Not Found: Organization 'nope' not found");
      await expectError(em, '/api/orgs/acme/logins?sort=desc', 400, "Invalid 'sort' value.");
      await expectError(em, '/api/orgs/acme/logins?pageSize=0', 400, "Invalid 'pageSize' value.");
      const membersToken = (await getJson<MembersPage>(em, '/api/orgs/acme/members')).continuationToken;
      assert.ok(membersToken);
      await expectError(em, `/api/orgs/acme/logins?continuationToken=${membersToken}`, 400, 'Invalid continuation token');
      assert.equal((await fetch(`${em.url}/api/orgs/acme/logins`)).status, 401);
      // The endpoints of the default table are still there.
      assert.equal((await getJson<{ teams: unknown[] }>(em, '/api/orgs/acme/teams')).teams.length, 3);

      em.beforeRoute = async (_ctx, next) => ({ ...(await next()), headers: { 'X-Hooked': 'yes' } });
      em.resetRequests();
      const hooked = await get(em, '/api/orgs/acme/logins?pageSize=10');
      assert.equal(hooked.headers.get('x-hooked'), 'yes');
      assert.equal(((await hooked.json()) as { logins: string[] }).logins.length, 7);
      assert.deepEqual(em.requests, [{ method: 'GET', path: '/api/orgs/acme/logins', query: { pageSize: '10' }, status: 200 }]);
    } finally {
      await em.close();
    }
  });

  void it('answers 500 when a handler fails', async () => {
    const broken = route('GET', '/api/broken', () => {
      throw new Error('no data');
    });
    const em = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 1, routes: [broken] });
    try {
      await expectError(em, '/api/broken', 500, 'Internal Server Error: no data');
    } finally {
      await em.close();
    }
  });
});

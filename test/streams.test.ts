import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { TapConfig } from '../src/config.js';
import { SchemaRegistry } from '../src/schemas.js';
import { childrenOf, streamByName, STREAMS } from '../src/streams/index.js';
import { organizationMembers } from '../src/streams/organization-members.js';
import { organizationTeams } from '../src/streams/organization-teams.js';
import { stackUpdates } from '../src/streams/stack-updates.js';
import { stacks } from '../src/streams/stacks.js';
import type { Bookmark, StreamName } from '../src/streams/types.js';

const config: TapConfig = {
  token: 'pul-test',
  organizations: ['acme'],
  startDate: undefined,
  baseUrl: 'https://api.pulumi.com',
  pageSize: 100,
  maxConcurrency: 8,
  requestTimeoutMs: 60_000,
  maxAttempts: 5,
  checkpointIntervalMs: 5000,
  maxResponseBytes: 64 * 2 ** 20,
};

const schemas = new SchemaRegistry();
const orgCtx = { org_name: 'acme' };
const stackCtx = { org_name: 'acme', project_name: 'web', stack_name: 'prod' };
const REQUESTED_BY_TOKEN = 'pul-deadbeefdeadbeefdeadbeefdeadbeef';
const CIPHERTEXT = 'v1:AAAABBBBccccDDDD:ciphertext==';

function assertValid(stream: StreamName, record: unknown): void {
  const validate = schemas.validator(stream);
  assert.ok(validate(record), `${stream} record does not match its schema: ${JSON.stringify(validate.errors)}`);
}

function assertAllNullable(stream: StreamName, record: Record<string, unknown>, keys: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(record).sort(), Object.keys(schemas.schema(stream).properties ?? {}).sort());
  for (const [key, value] of Object.entries(record)) {
    if (key in keys) assert.deepEqual(value, keys[key], key);
    else assert.equal(value, null, key);
  }
  assertValid(stream, record);
}

const odd: unknown[] = [null, undefined, 'text', 42, [1, 2], true];

void describe('stream registry', () => {
  void it('lists the streams in sync order, parents before children', () => {
    assert.deepEqual(
      STREAMS.map((s) => s.name),
      ['stacks', 'stack_updates', 'organization_members', 'organization_teams'],
    );
    assert.equal(streamByName('stack_updates')?.name, 'stack_updates');
    assert.equal(streamByName('nope'), undefined);
    assert.deepEqual(
      childrenOf('stacks').map((s) => s.name),
      ['stack_updates'],
    );
    assert.deepEqual(childrenOf('organization_members'), []);
  });
});

void describe('stacks.toRecord', () => {
  void it('maps a full StackSummary', () => {
    const record = stacks.toRecord(
      {
        id: 'a1b2',
        orgName: 'acme',
        projectName: 'web',
        stackName: 'prod',
        lastUpdate: 1700000000,
        resourceCount: 12,
        links: { self: 'https://app.pulumi.com/acme/web/prod' },
      },
      orgCtx,
    );
    assert.deepEqual(record, {
      org_name: 'acme',
      project_name: 'web',
      stack_name: 'prod',
      id: 'a1b2',
      last_update: 1700000000,
      resource_count: 12,
      links: { self: 'https://app.pulumi.com/acme/web/prod' },
    });
    assertValid('stacks', record);
  });

  void it('takes the organization from the context when the API omits it', () => {
    assert.equal(stacks.toRecord({ projectName: 'web', stackName: 'prod' }, orgCtx).org_name, 'acme');
  });

  void it('gives nulls for missing, null or odd fields', () => {
    assertAllNullable('stacks', stacks.toRecord({}, orgCtx), { org_name: 'acme', project_name: '', stack_name: '' });
    for (const raw of odd) {
      assertAllNullable('stacks', stacks.toRecord(raw, orgCtx), { org_name: 'acme', project_name: '', stack_name: '' });
    }
    const typed = stacks.toRecord({ id: 5, orgName: 7, projectName: ['x'], stackName: null, lastUpdate: '1700000000', resourceCount: 1.5, links: 'x' }, orgCtx);
    assertAllNullable('stacks', typed, { org_name: 'acme', project_name: '', stack_name: '' });
  });

  void it('pages by cursor with maxResults and reads /api/user/stacks', () => {
    assert.deepEqual(stacks.paging({ ...config, pageSize: 37 }), { kind: 'cursor', pageSizeParam: 'maxResults', pageSize: 37 });
    assert.equal(stacks.path(orgCtx), '/api/user/stacks');
    assert.deepEqual(stacks.query?.(orgCtx, config), { organization: 'acme' });
    assert.equal(stacks.itemsKey, 'stacks');
    assert.deepEqual(stacks.context('acme'), { org_name: 'acme' });
    assert.equal(stacks.replicationKey, 'last_update');
  });
});

const serviceUpdate = {
  info: {
    kind: 'update',
    startTime: 1700000000,
    endTime: 1700000090,
    result: 'succeeded',
    message: 'Deploy #42',
    environment: { 'git.head': 'abc123', 'exec.kind': 'cli', 'vcs.repo': 'acme/web', camelCaseVar: 'x' },
    config: {
      'web:region': { string: 'us-west-2', secret: false, object: false },
      'web:dbPassword': { string: CIPHERTEXT, secret: true, object: false },
      'aws:tags': { string: '{"team":"web"}', secret: false, object: true },
    },
    version: 7,
    resourceChanges: { create: 2, same: 10, 'create-replacement': 1 },
    resourceCount: 13,
    deployment: { some: 'thing' },
  },
  updateID: '4f2c-uuid',
  version: 7,
  latestVersion: 9,
  requestedBy: { name: 'Alice A', githubLogin: 'alice', avatarUrl: 'https://avatars/alice', email: 'alice@example.com' },
  githubCommitInfo: {
    slug: 'acme/web',
    sha: 'abc123',
    url: 'https://github.com/acme/web/commit/abc123',
    message: 'Fix',
    author: { name: 'Alice A', githubLogin: 'alice', avatarUrl: 'https://avatars/alice' },
    committer: { name: 'Bob', githubLogin: 'bob', avatarUrl: 'https://avatars/bob' },
  },
  policyPacks: [{ name: 'aws-guard', displayName: 'AWS Guard', version: 3, versionTag: '0.3.0', config: { 'no-public-s3': { mode: 'mandatory' } } }],
  requestedByToken: REQUESTED_BY_TOKEN,
};

void describe('stack_updates.toRecord', () => {
  void it('maps the service shape', () => {
    const record = stackUpdates.toRecord(serviceUpdate, stackCtx);
    assert.deepEqual(record, {
      org_name: 'acme',
      project_name: 'web',
      stack_name: 'prod',
      version: 7,
      update_id: '4f2c-uuid',
      kind: 'update',
      result: 'succeeded',
      message: 'Deploy #42',
      start_time: 1700000000,
      end_time: 1700000090,
      environment: { 'git.head': 'abc123', 'exec.kind': 'cli', 'vcs.repo': 'acme/web', camelCaseVar: 'x' },
      config: {
        'web:region': { string: 'us-west-2', secret: false, object: false },
        'web:dbPassword': { string: null, secret: true, object: false },
        'aws:tags': { string: '{"team":"web"}', secret: false, object: true },
      },
      resource_changes: { create: 2, same: 10, 'create-replacement': 1 },
      resource_count: 13,
      latest_version: 9,
      requested_by: { name: 'Alice A', github_login: 'alice', avatar_url: 'https://avatars/alice', email: 'alice@example.com' },
      github_commit_info: {
        slug: 'acme/web',
        sha: 'abc123',
        url: 'https://github.com/acme/web/commit/abc123',
        message: 'Fix',
        author: { name: 'Alice A', github_login: 'alice', avatar_url: 'https://avatars/alice' },
        committer: { name: 'Bob', github_login: 'bob', avatar_url: 'https://avatars/bob' },
      },
      policy_packs: [{ name: 'aws-guard', display_name: 'AWS Guard', version: 3, version_tag: '0.3.0', config: { 'no-public-s3': { mode: 'mandatory' } } }],
    });
    assertValid('stack_updates', record);
  });

  void it('drops requestedByToken entirely', () => {
    const record = stackUpdates.toRecord(serviceUpdate, stackCtx);
    const text = JSON.stringify(record);
    assert.ok(!text.includes(REQUESTED_BY_TOKEN));
    assert.ok(!/requested_?by_?token/i.test(text));
    assert.equal('requested_by_token' in record, false);
    assert.equal('requestedByToken' in record, false);
  });

  void it('drops a requestedByToken nested in info too', () => {
    const record = stackUpdates.toRecord({ ...serviceUpdate, info: { ...serviceUpdate.info, requestedByToken: REQUESTED_BY_TOKEN } }, stackCtx);
    assert.ok(!JSON.stringify(record).includes(REQUESTED_BY_TOKEN));
  });

  void it('replaces the ciphertext of a secret config value with null but keeps the key', () => {
    const record = stackUpdates.toRecord(serviceUpdate, stackCtx);
    assert.ok(!JSON.stringify(record).includes(CIPHERTEXT));
    assert.ok(record.config && 'web:dbPassword' in record.config);
    assert.deepEqual(record.config?.['web:dbPassword'], { string: null, secret: true, object: false });
  });

  void it('accepts the legacy flat UpdateInfo shape', () => {
    const record = stackUpdates.toRecord(
      {
        kind: 'refresh',
        startTime: 1600000000,
        endTime: 0,
        result: 'in-progress',
        message: '',
        environment: { 'git.head': 'def' },
        config: { 'proj:key': { string: 'v', secret: false } },
        version: 3,
        resourceChanges: { same: 4 },
        resourceCount: 4,
      },
      stackCtx,
    );
    assert.deepEqual(record, {
      org_name: 'acme',
      project_name: 'web',
      stack_name: 'prod',
      version: 3,
      update_id: null,
      kind: 'refresh',
      result: 'in-progress',
      message: '',
      start_time: 1600000000,
      end_time: 0,
      environment: { 'git.head': 'def' },
      config: { 'proj:key': { string: 'v', secret: false, object: null } },
      resource_changes: { same: 4 },
      resource_count: 4,
      latest_version: null,
      requested_by: null,
      github_commit_info: null,
      policy_packs: null,
    });
    assertValid('stack_updates', record);
  });

  void it('takes the version from info when the element has none', () => {
    assert.equal(stackUpdates.toRecord({ info: { version: 5 } }, stackCtx).version, 5);
    assert.equal(stackUpdates.toRecord({ version: 6, info: { version: 5 } }, stackCtx).version, 6);
  });

  void it('gives nulls (and version 0) for missing, null or odd fields, never throwing', () => {
    const keys = { org_name: 'acme', project_name: 'web', stack_name: 'prod', version: 0 };
    assertAllNullable('stack_updates', stackUpdates.toRecord({}, stackCtx), keys);
    for (const raw of odd) assertAllNullable('stack_updates', stackUpdates.toRecord(raw, stackCtx), keys);
    assertAllNullable('stack_updates', stackUpdates.toRecord({ info: null, version: null }, stackCtx), keys);
    const typed = stackUpdates.toRecord(
      {
        info: {
          kind: 1,
          startTime: '1700000000',
          endTime: 1.5,
          result: false,
          message: {},
          environment: 'x',
          config: ['a'],
          resourceChanges: 5,
          resourceCount: '3',
          version: 'seven',
        },
        updateID: 12,
        version: '7',
        latestVersion: 'nine',
        requestedBy: 'alice',
        githubCommitInfo: ['x'],
        policyPacks: { name: 'p' },
      },
      stackCtx,
    );
    assertAllNullable('stack_updates', typed, keys);
  });

  void it('turns odd values inside maps into nulls', () => {
    const record = stackUpdates.toRecord(
      { info: { environment: { 'git.head': 5, ok: 'x' }, config: { 'a:b': 'plain', 'a:c': null, 'a:d': { string: 1, secret: 'yes' } }, resourceChanges: { create: '2', same: 1 } } },
      stackCtx,
    );
    assert.deepEqual(record.environment, { 'git.head': null, ok: 'x' });
    assert.deepEqual(record.config, { 'a:b': null, 'a:c': null, 'a:d': { string: null, secret: null, object: null } });
    assert.deepEqual(record.resource_changes, { create: null, same: 1 });
    assertValid('stack_updates', record);
  });

  void it('knows unfinished updates are not settled', () => {
    const settled = (result: string | null) => stackUpdates.isSettled?.({ ...stackUpdates.toRecord({}, stackCtx), result });
    assert.equal(settled('succeeded'), true);
    assert.equal(settled('failed'), true);
    assert.equal(settled('in-progress'), false);
    assert.equal(settled('not-started'), false);
    assert.equal(settled(null), true);
  });

  void it('reads the service shape by page number with at most 100 per page', () => {
    assert.deepEqual(stackUpdates.paging({ ...config, pageSize: 500 }), { kind: 'page-number', pageSize: 100 });
    assert.deepEqual(stackUpdates.paging({ ...config, pageSize: 20 }), { kind: 'page-number', pageSize: 20 });
    assert.deepEqual(stackUpdates.query?.(stackCtx, config), { 'output-type': 'service' });
    assert.equal(stackUpdates.itemsKey, 'updates');
    assert.equal(stackUpdates.parent, 'stacks');
    assert.equal(stackUpdates.newestFirst, true);
    assert.equal(stackUpdates.missingMeansGone, true);
  });

  void it('builds its context from the parent stack and encodes the path', () => {
    const context = stackUpdates.context('acme', { org_name: 'acme', project_name: 'my web', stack_name: 'dev/1' });
    assert.deepEqual(context, { org_name: 'acme', project_name: 'my web', stack_name: 'dev/1' });
    assert.equal(stackUpdates.path(context), '/api/stacks/acme/my%20web/dev%2F1/updates');
  });
});

void describe('stack_updates.parentShowsChanges', () => {
  const shows = (lastUpdate: unknown, bookmark: Partial<Bookmark>): boolean | undefined =>
    stackUpdates.parentShowsChanges?.({ org_name: 'acme', project_name: 'web', stack_name: 'prod', last_update: lastUpdate }, { value: 1000, fromState: true, unsettled: false, ...bookmark });

  void it('lastUpdate after the bookmark → true', () => {
    assert.equal(shows(1001, {}), true);
    assert.equal(shows(1001, { fromState: false }), true);
  });
  void it('lastUpdate before the bookmark → false', () => {
    assert.equal(shows(999, {}), false);
    assert.equal(shows(999, { fromState: false }), false);
  });
  void it('lastUpdate at a settled bookmark from state → false', () => {
    assert.equal(shows(1000, { fromState: true, unsettled: false }), false);
  });
  void it('lastUpdate at an unsettled bookmark → true', () => {
    assert.equal(shows(1000, { fromState: true, unsettled: true }), true);
    assert.equal(shows(999, { fromState: true, unsettled: true }), true);
  });
  void it('lastUpdate at a bookmark from start_date → true', () => {
    assert.equal(shows(1000, { fromState: false }), true);
  });
  void it('lastUpdate missing or not an integer → true', () => {
    assert.equal(shows(undefined, {}), true);
    assert.equal(shows(null, {}), true);
    assert.equal(shows('1001', {}), true);
  });
});

void describe('organization_members.toRecord', () => {
  void it('maps a full member, user_name from user.githubLogin', () => {
    const record = organizationMembers.toRecord(
      {
        role: 'admin',
        user: { name: 'Alice A', githubLogin: 'alice', avatarUrl: 'https://avatars/alice', email: 'alice@example.com' },
        created: '2023-05-01T12:00:00Z',
        knownToPulumi: true,
        virtualAdmin: false,
        links: { self: 'https://api.pulumi.com/api/orgs/acme/members/alice' },
        fgaRole: { id: 'r1', name: 'Admin', modifiedAt: '2024-01-01T00:00:00Z' },
      },
      orgCtx,
    );
    assert.deepEqual(record, {
      org_name: 'acme',
      user_name: 'alice',
      role: 'admin',
      user: { name: 'Alice A', github_login: 'alice', avatar_url: 'https://avatars/alice', email: 'alice@example.com' },
      created: '2023-05-01T12:00:00Z',
      known_to_pulumi: true,
      virtual_admin: false,
      fga_role: { id: 'r1', name: 'Admin', modified_at: '2024-01-01T00:00:00Z' },
      links: { self: 'https://api.pulumi.com/api/orgs/acme/members/alice' },
    });
    assertValid('organization_members', record);
  });

  void it('does not take user_name from the display name', () => {
    assert.equal(organizationMembers.toRecord({ user: { name: 'Alice A' } }, orgCtx).user_name, '');
  });

  void it('gives nulls for missing, null or odd fields', () => {
    const keys = { org_name: 'acme', user_name: '' };
    assertAllNullable('organization_members', organizationMembers.toRecord({}, orgCtx), keys);
    for (const raw of odd) assertAllNullable('organization_members', organizationMembers.toRecord(raw, orgCtx), keys);
    const typed = organizationMembers.toRecord({ role: 3, user: 'alice', created: 17, knownToPulumi: 'yes', virtualAdmin: 0, fgaRole: [], links: 1 }, orgCtx);
    assertAllNullable('organization_members', typed, keys);
  });

  void it('reads /api/orgs/ORG/members?type=backend by cursor', () => {
    assert.equal(organizationMembers.path({ org_name: 'a b' }), '/api/orgs/a%20b/members');
    assert.deepEqual(organizationMembers.query?.(orgCtx, config), { type: 'backend' });
    assert.deepEqual(organizationMembers.paging(config), { kind: 'cursor' });
    assert.equal(organizationMembers.itemsKey, 'members');
    assert.equal(organizationMembers.replicationKey, undefined);
  });
});

void describe('organization_teams.toRecord', () => {
  void it('maps a full team', () => {
    const record = organizationTeams.toRecord(
      {
        kind: 'pulumi',
        name: 'platform',
        displayName: 'Platform',
        description: 'The platform team',
        members: [{ name: 'Alice A', githubLogin: 'alice', avatarUrl: 'https://avatars/alice', role: 'admin' }],
        stacks: [{ projectName: 'web', stackName: 'prod', permission: 103 }],
        environments: [{ projectName: 'default', envName: 'dev', permission: 'read' }],
        userRole: 'admin',
        roleIds: ['r1', 'r2'],
      },
      orgCtx,
    );
    assert.deepEqual(record, {
      org_name: 'acme',
      name: 'platform',
      kind: 'pulumi',
      display_name: 'Platform',
      description: 'The platform team',
      members: [{ name: 'Alice A', github_login: 'alice', avatar_url: 'https://avatars/alice', role: 'admin' }],
      stacks: [{ project_name: 'web', stack_name: 'prod', permission: 103 }],
      environments: [{ project_name: 'default', env_name: 'dev', permission: 'read' }],
      user_role: 'admin',
      role_ids: ['r1', 'r2'],
    });
    assertValid('organization_teams', record);
  });

  void it('keeps only string role ids', () => {
    assert.deepEqual(organizationTeams.toRecord({ name: 't', roleIds: ['a', 1, null, 'b'] }, orgCtx).role_ids, ['a', 'b']);
  });

  void it('gives nulls for missing, null or odd fields', () => {
    const keys = { org_name: 'acme', name: '' };
    assertAllNullable('organization_teams', organizationTeams.toRecord({}, orgCtx), keys);
    for (const raw of odd) assertAllNullable('organization_teams', organizationTeams.toRecord(raw, orgCtx), keys);
    const typed = organizationTeams.toRecord(
      { kind: 1, name: 2, displayName: [], description: {}, members: 'x', stacks: {}, environments: 5, userRole: true, roleIds: 'r1' },
      orgCtx,
    );
    assertAllNullable('organization_teams', typed, keys);
  });

  void it('reads /api/orgs/ORG/teams by cursor', () => {
    assert.equal(organizationTeams.path(orgCtx), '/api/orgs/acme/teams');
    assert.deepEqual(organizationTeams.paging(config), { kind: 'cursor' });
    assert.equal(organizationTeams.itemsKey, 'teams');
    assert.equal('query' in organizationTeams, false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig, type TapConfig } from '../src/config/config.js';
import { RecordError } from '../src/errors.js';
import { streamValidators } from '../src/generated/record-validators.js';
import { SchemaRegistry, type JsonSchema } from '../src/streams/schemas.js';
import { parentShowsNothingNew, type Bookmark } from '../src/core/cursor.js';
import { streamByName, STREAMS, type StreamName } from '../src/streams/index.js';
import { organizationMembers } from '../src/streams/organization-members.js';
import { organizationTeams } from '../src/streams/organization-teams.js';
import { stackUpdates } from '../src/streams/stack-updates.js';
import { stacks } from '../src/streams/stacks.js';
import { auditLogs } from '../src/streams/audit-logs.js';
import { deployments } from '../src/streams/deployments.js';
import { environmentRevisions } from '../src/streams/environment-revisions.js';
import { environments } from '../src/streams/environments.js';

const config: TapConfig = parseConfig({ token: 'pul-test', organizations: ['acme'] }, {});

const schemas = new SchemaRegistry(streamValidators);
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

/** Every property a schema declares, at any depth, is in the record (null when the API omitted it). */
function assertCarriesDeclared(schema: JsonSchema, value: unknown, path: string): void {
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    if (items) value.forEach((item, index) => assertCarriesDeclared(items, item, `${path}[${index}]`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [name, inner] of Object.entries(schema.properties ?? {})) {
    assert.ok(Object.hasOwn(value, name), `${path}.${name} is missing`);
    assertCarriesDeclared(inner, (value as Record<string, unknown>)[name], `${path}.${name}`);
  }
}

function assertComplete(stream: StreamName, record: unknown): void {
  assertCarriesDeclared(schemas.schema(stream), record, stream);
  assertValid(stream, record);
}

function throwsRecordError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RecordError, `expected a RecordError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    return true;
  });
}

/** Items that are not objects at all: nothing to key them by. */
const notObjects: unknown[] = [null, undefined, 'text', 42, [1, 2], true];

/** Object keys that plain JavaScript objects treat specially; JSON.parse makes them own keys. */
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString'];
function hostileMap(value: string): unknown {
  return JSON.parse(`{${HOSTILE_KEYS.map((key) => `"${key}": ${value}`).join(', ')}}`);
}
function assertOwnKeys(object: unknown, keys: string[], where: string): void {
  assert.ok(typeof object === 'object' && object !== null, where);
  for (const key of keys) assert.ok(Object.hasOwn(object, key), `${where}.${key} is missing`);
  assert.equal(Object.getPrototypeOf(object), Object.prototype, where);
}

void describe('stream registry', () => {
  void it('lists the streams in sync order, parents before children', () => {
    assert.deepEqual(
      STREAMS.map((s) => s.name),
      [
        'stacks',
        'stack_updates',
        'organization_members',
        'organization_teams',
        'environments',
        'environment_revisions',
        'deployments',
        'audit_logs',
        'organizations',
        'org_access_tokens',
        'oidc_issuers',
        'agent_pools',
        'org_webhooks',
        'policy_packs',
        'resource_usage_daily',
        'resources',
        'stack_details',
        'stack_tags',
        'team_members',
        'team_stack_permissions',
        'team_environment_permissions',
        'team_access_tokens',
        'policy_groups',
        'policy_pack_policies',
        'deployment_schedules',
        'drift_runs',
      ],
    );
    assert.equal(streamByName('stack_updates')?.name, 'stack_updates');
    assert.equal(streamByName('nope'), undefined);
    assert.deepEqual(
      STREAMS.filter((s) => s.parent === stacks).map((s) => s.name),
      ['stack_updates', 'stack_details', 'stack_tags', 'deployment_schedules', 'drift_runs'],
    );
    assert.deepEqual(
      STREAMS.filter((s) => s.parent === organizationMembers),
      [],
    );
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
    assertComplete('stacks', record);
  });

  void it('takes the organization from the context when the API omits it', () => {
    assert.equal(stacks.toRecord({ projectName: 'web', stackName: 'prod' }, orgCtx).org_name, 'acme');
    assert.equal(stacks.toRecord({ orgName: null, projectName: 'web', stackName: 'prod' }, orgCtx).org_name, 'acme');
    assert.equal(stacks.toRecord({ orgName: 'other', projectName: 'web', stackName: 'prod' }, orgCtx).org_name, 'other');
  });

  const keys = { org_name: 'acme', project_name: 'web', stack_name: 'prod' };
  const keyed = { projectName: 'web', stackName: 'prod' };

  void it('gives nulls for missing, null or odd fields other than keys', () => {
    assertAllNullable('stacks', stacks.toRecord(keyed, orgCtx), keys);
    const typed = stacks.toRecord({ ...keyed, id: 5, lastUpdate: null, resourceCount: 1.5, links: 'x' }, orgCtx);
    assertAllNullable('stacks', typed, keys);
    assert.equal(stacks.toRecord({ ...keyed, resourceCount: 'many' }, orgCtx).resource_count, null);
    assert.equal(stacks.toRecord({ ...keyed, resourceCount: 2 ** 53 }, orgCtx).resource_count, null);
  });

  void it('reads exact digit strings in integer fields', () => {
    const record = stacks.toRecord({ ...keyed, lastUpdate: '1700000000', resourceCount: '12' }, orgCtx);
    assert.equal(record.last_update, 1700000000);
    assert.equal(record.resource_count, 12);
  });

  void it('fills every declared property of links', () => {
    assert.deepEqual(stacks.toRecord({ ...keyed, links: {} }, orgCtx).links, { self: null });
    assert.deepEqual(stacks.toRecord({ ...keyed, links: { self: 'u', editUrl: 'e' } }, orgCtx).links, { self: 'u', edit_url: 'e' });
    assertComplete('stacks', stacks.toRecord({ ...keyed, links: {} }, orgCtx));
  });

  void it('refuses an item it cannot key, naming the field', () => {
    for (const raw of notObjects) throwsRecordError(() => stacks.toRecord(raw, orgCtx), 'key project_name (projectName)');
    throwsRecordError(() => stacks.toRecord({ stackName: 'prod' }, orgCtx), 'key project_name (projectName)', 'got nothing');
    throwsRecordError(() => stacks.toRecord({ projectName: 'web' }, orgCtx), 'key stack_name (stackName)');
    throwsRecordError(() => stacks.toRecord({ projectName: '', stackName: 'prod' }, orgCtx), 'key project_name', 'got ""');
    throwsRecordError(() => stacks.toRecord({ projectName: ['x'], stackName: 'prod' }, orgCtx), 'got ["x"]');
    throwsRecordError(() => stacks.toRecord({ ...keyed, stackName: null }, orgCtx), 'key stack_name', 'got null');
    throwsRecordError(() => stacks.toRecord({ ...keyed, orgName: 7 }, orgCtx), 'key org_name (orgName)', 'got 7');
    throwsRecordError(() => stacks.toRecord({ ...keyed, orgName: '' }, orgCtx), 'key org_name (orgName)');
  });

  void it('gives a null last_update for a never-updated stack, and refuses one it cannot read', () => {
    assert.equal(stacks.toRecord(keyed, orgCtx).last_update, null);
    assert.equal(stacks.toRecord({ ...keyed, lastUpdate: null }, orgCtx).last_update, null);
    assert.equal(stacks.toRecord({ ...keyed, lastUpdate: 0 }, orgCtx).last_update, 0);
    assert.equal(stacks.toRecord({ ...keyed, lastUpdate: 1.7e12 }, orgCtx).last_update, 1.7e12);
    for (const lastUpdate of ['yesterday', '', 1.5, true, {}, 2 ** 53 + 2, '9007199254740993']) {
      throwsRecordError(() => stacks.toRecord({ ...keyed, lastUpdate }, orgCtx), 'cursor last_update (lastUpdate)');
    }
  });

  void it('pages by cursor with maxResults and reads /api/user/stacks', () => {
    assert.deepEqual(stacks.request.paging({ ...config, pageSize: 37 }), { kind: 'cursor', pageSizeParam: 'maxResults', pageSize: 37 });
    assert.equal(stacks.request.path(orgCtx), '/api/user/stacks');
    assert.deepEqual(stacks.request.query?.(orgCtx, config, undefined), { organization: 'acme' });
    assert.equal(stacks.request.records, 'stacks');
    assert.deepEqual(stacks.rootContext('acme'), { org_name: 'acme' });
    assert.deepEqual(stacks.cursor, { field: 'last_update', type: 'unix-seconds', order: 'unsorted' });
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
        author: { name: 'Alice A', github_login: 'alice', avatar_url: 'https://avatars/alice', email: null },
        committer: { name: 'Bob', github_login: 'bob', avatar_url: 'https://avatars/bob', email: null },
      },
      policy_packs: [{ name: 'aws-guard', display_name: 'AWS Guard', version: 3, version_tag: '0.3.0', config: { 'no-public-s3': { mode: 'mandatory' } } }],
    });
    assertComplete('stack_updates', record);
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
      end_time: null,
      environment: { 'git.head': 'def' },
      config: { 'proj:key': { string: 'v', secret: false, object: null } },
      resource_changes: { same: 4 },
      resource_count: 4,
      latest_version: null,
      requested_by: null,
      github_commit_info: null,
      policy_packs: null,
    });
    assertComplete('stack_updates', record);
  });

  void it('takes the version from info when the element has none', () => {
    assert.equal(stackUpdates.toRecord({ info: { version: 5 } }, stackCtx).version, 5);
    assert.equal(stackUpdates.toRecord({ version: null, info: { version: 5 } }, stackCtx).version, 5);
    assert.equal(stackUpdates.toRecord({ version: 6, info: { version: 5 } }, stackCtx).version, 6);
  });

  void it('reads a version sent as exact digits, so distinct updates keep distinct keys', () => {
    const versions = ['1', '2', '3', '4', '5'].map((version) => stackUpdates.toRecord({ version, info: { startTime: 1700000000 } }, stackCtx).version);
    assert.deepEqual(versions, [1, 2, 3, 4, 5]);
    assert.equal(stackUpdates.toRecord({ info: { version: '42' } }, stackCtx).version, 42);
    assert.equal(stackUpdates.toRecord({ version: Number.MAX_SAFE_INTEGER }, stackCtx).version, Number.MAX_SAFE_INTEGER);
  });

  void it('refuses an update whose version it would have to guess, naming the field and value', () => {
    throwsRecordError(() => stackUpdates.toRecord({}, stackCtx), 'key version (info.version)', 'got nothing');
    throwsRecordError(() => stackUpdates.toRecord({ info: {} }, stackCtx), 'key version (info.version)');
    throwsRecordError(() => stackUpdates.toRecord({ version: null, info: { version: null } }, stackCtx), 'key version (info.version)', 'got null');
    throwsRecordError(() => stackUpdates.toRecord({ version: 'seven', info: { version: 7 } }, stackCtx), 'key version must be', 'got "seven"');
    throwsRecordError(() => stackUpdates.toRecord({ version: 1.5 }, stackCtx), 'got 1.5');
    throwsRecordError(() => stackUpdates.toRecord({ version: '' }, stackCtx), 'got ""');
    throwsRecordError(() => stackUpdates.toRecord({ version: { n: 1 } }, stackCtx), 'got {"n":1}');
    throwsRecordError(() => stackUpdates.toRecord({ info: { version: 'x'.repeat(1000) } }, stackCtx), '…');
    // Beyond 2^53 neighbouring versions parse to the same double: refusing them keeps them apart.
    const big = JSON.parse('[{"version": 9007199254740993}, {"version": 9007199254740992}, {"version": "9007199254740993"}]') as unknown[];
    for (const raw of big) throwsRecordError(() => stackUpdates.toRecord(raw, stackCtx), 'key version');
  });

  void it('refuses to key an update by a stack it does not know', () => {
    throwsRecordError(() => stackUpdates.toRecord({ version: 1 }, { org_name: 'acme', project_name: 'web' }), 'key stack_name');
    throwsRecordError(() => stackUpdates.toRecord({ version: 1 }, { org_name: 'acme', project_name: '', stack_name: 'prod' }), 'key project_name');
  });

  void it('reads start_time exactly or not at all', () => {
    const startTime = (value: unknown) => stackUpdates.toRecord({ version: 1, info: { startTime: value } }, stackCtx).start_time;
    assert.equal(startTime(undefined), null);
    assert.equal(startTime(null), null);
    assert.equal(startTime(0), 0);
    assert.equal(startTime(1700000000), 1700000000);
    assert.equal(startTime('1700000000'), 1700000000);
    assert.equal(startTime(1.7e12), 1.7e12);
    for (const bad of ['yesterday', '2024-05-19T12:00:00Z', '', 1.5, false, [], 2 ** 60]) {
      throwsRecordError(() => startTime(bad), 'cursor start_time (startTime)');
    }
  });

  void it('gives end_time null until the update ends (the API sends 0 then)', () => {
    const endTime = (value: unknown, result = 'succeeded') => stackUpdates.toRecord({ version: 1, info: { startTime: 1700000000, endTime: value, result } }, stackCtx).end_time;
    assert.equal(endTime(0, 'in-progress'), null);
    assert.equal(endTime(0, 'not-started'), null);
    assert.equal(endTime(undefined, 'in-progress'), null);
    assert.equal(endTime(null), null);
    assert.equal(endTime('0'), null);
    assert.equal(endTime(1700000090), 1700000090);
    assert.equal(endTime('1700000090'), 1700000090);
    assert.equal(endTime(1.5), null);
    assert.equal(endTime('soon'), null);
  });

  void it('reads exact digit strings in lenient integer fields', () => {
    const record = stackUpdates.toRecord({ version: 1, latestVersion: '9', info: { resourceCount: '13', resourceChanges: { create: '2', same: 10 } }, policyPacks: [{ version: '3' }] }, stackCtx);
    assert.equal(record.latest_version, 9);
    assert.equal(record.resource_count, 13);
    assert.deepEqual(record.resource_changes, { create: 2, same: 10 });
    assert.equal(record.policy_packs?.[0]?.version, 3);
  });

  void it('fills every declared nested property, keeping what else the API sends', () => {
    const record = stackUpdates.toRecord(
      {
        version: 1,
        info: { config: { 'a:b': {}, 'a:c': { string: 'v', secret: false, origin: 'file' } } },
        requestedBy: { githubLogin: 'alice', teamId: 't1' },
        githubCommitInfo: { sha: 'abc', author: {}, committer: { name: 'Bob' } },
        policyPacks: [{ name: 'p', environments: ['prod'] }],
      },
      stackCtx,
    );
    assert.deepEqual(record.requested_by, { name: null, github_login: 'alice', avatar_url: null, email: null, team_id: 't1' });
    assert.deepEqual(record.github_commit_info, {
      slug: null,
      sha: 'abc',
      url: null,
      message: null,
      author: { name: null, github_login: null, avatar_url: null, email: null },
      committer: { name: 'Bob', github_login: null, avatar_url: null, email: null },
    });
    assert.deepEqual(record.policy_packs, [{ name: 'p', display_name: null, version: null, version_tag: null, config: null, environments: ['prod'] }]);
    assert.deepEqual(record.config, { 'a:b': { string: null, secret: null, object: null }, 'a:c': { string: 'v', secret: false, object: null, origin: 'file' } });
    assertComplete('stack_updates', record);
  });

  void it('keeps nothing of a secret config value but its flags', () => {
    const record = stackUpdates.toRecord({ version: 1, info: { config: { 'a:pw': { string: CIPHERTEXT, secret: true, object: false, ciphertext: CIPHERTEXT } } } }, stackCtx);
    assert.deepEqual(record.config, { 'a:pw': { string: null, secret: true, object: false } });
    assert.ok(!JSON.stringify(record).includes(CIPHERTEXT));
  });

  void it('keeps data keys named like Object.prototype members as ordinary keys', () => {
    const raw = JSON.parse(`{
      "version": 1,
      "info": {
        "environment": ${JSON.stringify(hostileMap('"v"'))},
        "config": ${JSON.stringify(hostileMap('{"string": "x", "secret": false}'))},
        "resourceChanges": ${JSON.stringify(hostileMap('1'))}
      },
      "requestedBy": {"githubLogin": "alice", "__proto__": {"isAdmin": true}, "constructor": "c"},
      "githubCommitInfo": {"sha": "abc", "__proto__": "p", "author": {"__proto__": {"x": 1}}},
      "policyPacks": [{"name": "p", "__proto__": 1, "config": ${JSON.stringify(hostileMap('{"mode": "advisory"}'))}}]
    }`) as unknown;
    const record = stackUpdates.toRecord(raw, stackCtx);
    assertOwnKeys(record.environment, HOSTILE_KEYS, 'environment');
    assertOwnKeys(record.config, HOSTILE_KEYS, 'config');
    assertOwnKeys(record.resource_changes, HOSTILE_KEYS, 'resource_changes');
    assertOwnKeys(record.requested_by, ['__proto__', 'constructor', 'github_login'], 'requested_by');
    assertOwnKeys(record.github_commit_info, ['__proto__', 'sha'], 'github_commit_info');
    assertOwnKeys(record.github_commit_info?.author, ['__proto__', 'name'], 'github_commit_info.author');
    assertOwnKeys(record.policy_packs?.[0], ['__proto__', 'name'], 'policy_packs[0]');
    assertOwnKeys(record.policy_packs?.[0]?.config, HOSTILE_KEYS, 'policy_packs[0].config');
    const text = JSON.stringify(record);
    const parsed = JSON.parse(text) as { environment: unknown; config: Record<string, unknown>; requested_by: unknown };
    assert.deepEqual(parsed.environment, JSON.parse(JSON.stringify(hostileMap('"v"'))));
    assert.deepEqual(Object.getOwnPropertyDescriptor(parsed.config, '__proto__')?.value, { string: 'x', secret: false, object: null });
    assert.ok(text.includes('"requested_by":{"name":null,"github_login":"alice","avatar_url":null,"email":null,"__proto__":{"is_admin":true},"constructor":"c"}'), text);
    assert.ok(text.includes('"resource_changes":{"__proto__":1,"constructor":1,"prototype":1,"toString":1}'), text);
    // A hostile key sets no prototype anywhere.
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    assert.equal((record.requested_by as Record<string, unknown>).isAdmin, undefined);
    assertValid('stack_updates', record);
  });

  void it('gives nulls for missing, null or odd fields other than keys and cursor', () => {
    const keys = { org_name: 'acme', project_name: 'web', stack_name: 'prod', version: 7 };
    assertAllNullable('stack_updates', stackUpdates.toRecord({ version: 7 }, stackCtx), keys);
    assertAllNullable('stack_updates', stackUpdates.toRecord({ info: null, version: 7 }, stackCtx), keys);
    assertAllNullable('stack_updates', stackUpdates.toRecord({ info: 'x', version: 7 }, stackCtx), keys);
    const typed = stackUpdates.toRecord(
      {
        info: {
          kind: 1,
          startTime: null,
          endTime: 1.5,
          result: false,
          message: {},
          environment: 'x',
          config: ['a'],
          resourceChanges: 5,
          resourceCount: 'three',
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

  void it('refuses an item that is not an object', () => {
    for (const raw of notObjects) throwsRecordError(() => stackUpdates.toRecord(raw, stackCtx), 'key version');
  });

  void it('turns odd values inside maps into nulls', () => {
    const record = stackUpdates.toRecord(
      { version: 1, info: { environment: { 'git.head': 5, ok: 'x' }, config: { 'a:b': 'plain', 'a:c': null, 'a:d': { string: 1, secret: 'yes' } }, resourceChanges: { create: 'two', same: 1, delete: 2.5 } } },
      stackCtx,
    );
    assert.deepEqual(record.environment, { 'git.head': null, ok: 'x' });
    assert.deepEqual(record.config, { 'a:b': null, 'a:c': null, 'a:d': { string: null, secret: null, object: null } });
    assert.deepEqual(record.resource_changes, { create: null, same: 1, delete: null });
    assertValid('stack_updates', record);
  });

  void it('knows unfinished updates are not settled', () => {
    const settled = (result: string | null) => stackUpdates.convert({ version: 1, info: { result } }, stackCtx).settled;
    assert.equal(settled('succeeded'), true);
    assert.equal(settled('failed'), true);
    assert.equal(settled('in-progress'), false);
    assert.equal(settled('not-started'), false);
    assert.equal(settled(null), true);
  });

  void it('reads the service shape by page number with at most 100 per page', () => {
    assert.deepEqual(stackUpdates.request.paging({ ...config, pageSize: 500 }), { kind: 'page-number', pageSize: 100 });
    assert.deepEqual(stackUpdates.request.paging({ ...config, pageSize: 20 }), { kind: 'page-number', pageSize: 20 });
    assert.deepEqual(stackUpdates.request.query?.(stackCtx, config, undefined), { 'output-type': 'service' });
    assert.equal(stackUpdates.request.records, 'updates');
    assert.equal(stackUpdates.parent, stacks);
    assert.deepEqual(stackUpdates.cursor, { field: 'start_time', type: 'unix-seconds', order: 'newest-first', unchangedWhenParent: 'last_update' });
    assert.deepEqual(stackUpdates.statuses, { gone: [404] });
  });

  void it('gets its context from the parent stack and encodes the path', () => {
    const context = stacks.convert({ orgName: 'acme', projectName: 'my web', stackName: 'dev/1' }, orgCtx).childContext;
    assert.deepEqual(context, { org_name: 'acme', project_name: 'my web', stack_name: 'dev/1' });
    assert.equal(stackUpdates.request.path(context ?? {}), '/api/stacks/acme/my%20web/dev%2F1/updates');
  });
});

void describe("stack_updates: the parent stack's last_update proves a history unchanged", () => {
  const cursor = stackUpdates.cursor;
  assert.ok(cursor && typeof cursor.lookbackSeconds !== 'function');
  const policy = { ...cursor, lookbackSeconds: cursor.lookbackSeconds };
  const shows = (lastUpdate: unknown, bookmark: Partial<Bookmark>): boolean =>
    !parentShowsNothingNew(policy, lastUpdate, { position: 1000, fromState: true, unsettled: false, nullCursorKeys: new Set(), ...bookmark });

  void it('lastUpdate after the bookmark → read', () => {
    assert.equal(shows(1001, {}), true);
    assert.equal(shows(1001, { fromState: false }), true);
  });
  void it('lastUpdate before the bookmark → not read', () => {
    assert.equal(shows(999, {}), false);
    assert.equal(shows(999, { fromState: false }), false);
  });
  void it('lastUpdate at a settled bookmark from state → not read', () => {
    assert.equal(shows(1000, { fromState: true, unsettled: false }), false);
  });
  void it('lastUpdate at an unsettled bookmark → read', () => {
    assert.equal(shows(1000, { fromState: true, unsettled: true }), true);
    assert.equal(shows(999, { fromState: true, unsettled: true }), true);
  });
  void it('lastUpdate at a bookmark from start_date → read', () => {
    assert.equal(shows(1000, { fromState: false }), true);
  });
  void it('lastUpdate missing → read, unless the history was empty when last read', () => {
    assert.equal(shows(undefined, {}), true);
    assert.equal(shows(null, {}), true);
    assert.equal(shows(null, { position: 0 }), false);
    assert.equal(shows('not a time', {}), true);
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
    assertComplete('organization_members', record);
  });

  void it('refuses a member without a login: the display name is not a key', () => {
    throwsRecordError(() => organizationMembers.toRecord({ user: { name: 'Alice A' } }, orgCtx), 'key user_name (user.githubLogin)', 'got nothing');
    throwsRecordError(() => organizationMembers.toRecord({ user: { githubLogin: '' } }, orgCtx), 'key user_name (user.githubLogin)', 'got ""');
    throwsRecordError(() => organizationMembers.toRecord({ user: { githubLogin: 42 } }, orgCtx), 'got 42');
    throwsRecordError(() => organizationMembers.toRecord({ user: 'alice' }, orgCtx), 'key user_name');
    for (const raw of notObjects) throwsRecordError(() => organizationMembers.toRecord(raw, orgCtx), 'key user_name');
    throwsRecordError(() => organizationMembers.toRecord({ user: { githubLogin: 'alice' } }, {}), 'key org_name');
  });

  void it('gives nulls for missing, null or odd fields other than keys', () => {
    const keys = { org_name: 'acme', user_name: 'alice', user: { name: null, github_login: 'alice', avatar_url: null, email: null } };
    assertAllNullable('organization_members', organizationMembers.toRecord({ user: { githubLogin: 'alice' } }, orgCtx), keys);
    const typed = organizationMembers.toRecord({ role: 3, user: { githubLogin: 'alice' }, created: 17, knownToPulumi: 'yes', virtualAdmin: 0, fgaRole: [], links: 1 }, orgCtx);
    assertAllNullable('organization_members', typed, keys);
  });

  void it('fills every declared property of user, fga_role and links', () => {
    const record = organizationMembers.toRecord({ user: { githubLogin: 'alice', avatarUrl: 'a' }, fgaRole: { name: 'Admin', scope: 'org' }, links: {} }, orgCtx);
    assert.deepEqual(record.user, { name: null, github_login: 'alice', avatar_url: 'a', email: null });
    assert.deepEqual(record.fga_role, { id: null, name: 'Admin', modified_at: null, scope: 'org' });
    assert.deepEqual(record.links, { self: null });
    assertComplete('organization_members', record);
  });

  void it('keeps user and fga_role keys named like Object.prototype members', () => {
    const raw = JSON.parse('{"user": {"githubLogin": "alice", "__proto__": {"x": 1}}, "fgaRole": {"id": "r", "__proto__": "p"}, "links": {"__proto__": null}}') as unknown;
    const record = organizationMembers.toRecord(raw, orgCtx);
    assertOwnKeys(record.user, ['__proto__', 'github_login'], 'user');
    assertOwnKeys(record.fga_role, ['__proto__', 'id'], 'fga_role');
    assertOwnKeys(record.links, ['__proto__', 'self'], 'links');
    assert.ok(JSON.stringify(record).includes('"fga_role":{"id":"r","name":null,"modified_at":null,"__proto__":"p"}'));
  });

  void it('reads /api/orgs/ORG/members?type=backend by cursor', () => {
    assert.equal(organizationMembers.request.path({ org_name: 'a b' }), '/api/orgs/a%20b/members');
    assert.deepEqual(organizationMembers.request.query?.(orgCtx, config, undefined), { type: 'backend' });
    assert.deepEqual(organizationMembers.request.paging(config), { kind: 'cursor' });
    assert.equal(organizationMembers.request.records, 'members');
    assert.equal(organizationMembers.cursor, undefined);
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
    assertComplete('organization_teams', record);
  });

  void it('fills every declared property of members, stacks and environments entries', () => {
    const record = organizationTeams.toRecord({ name: 't', members: [{ githubLogin: 'alice' }], stacks: [{ stackName: 'prod', permission: '101' }], environments: [{ envName: 'dev', maxOpenDuration: '1h' }] }, orgCtx);
    assert.deepEqual(record.members, [{ name: null, github_login: 'alice', avatar_url: null, role: null }]);
    assert.deepEqual(record.stacks, [{ project_name: null, stack_name: 'prod', permission: 101 }]);
    assert.deepEqual(record.environments, [{ project_name: null, env_name: 'dev', permission: null, max_open_duration: '1h' }]);
    assertComplete('organization_teams', record);
  });

  void it('refuses a team without a name, naming the field', () => {
    throwsRecordError(() => organizationTeams.toRecord({ displayName: 'Platform' }, orgCtx), 'key name', 'got nothing');
    throwsRecordError(() => organizationTeams.toRecord({ name: '' }, orgCtx), 'key name', 'got ""');
    throwsRecordError(() => organizationTeams.toRecord({ name: 2 }, orgCtx), 'got 2');
    for (const raw of notObjects) throwsRecordError(() => organizationTeams.toRecord(raw, orgCtx), 'key name');
  });

  void it('keeps only string role ids', () => {
    assert.deepEqual(organizationTeams.toRecord({ name: 't', roleIds: ['a', 1, null, 'b'] }, orgCtx).role_ids, ['a', 'b']);
  });

  void it('gives nulls for missing, null or odd fields other than keys', () => {
    const keys = { org_name: 'acme', name: 'platform' };
    assertAllNullable('organization_teams', organizationTeams.toRecord({ name: 'platform' }, orgCtx), keys);
    const typed = organizationTeams.toRecord(
      { kind: 1, name: 'platform', displayName: [], description: {}, members: 'x', stacks: {}, environments: 5, userRole: true, roleIds: 'r1' },
      orgCtx,
    );
    assertAllNullable('organization_teams', typed, keys);
  });

  void it('reads /api/orgs/ORG/teams by cursor', () => {
    assert.equal(organizationTeams.request.path(orgCtx), '/api/orgs/acme/teams');
    assert.deepEqual(organizationTeams.request.paging(config), { kind: 'cursor' });
    assert.equal(organizationTeams.request.records, 'teams');
    assert.equal('query' in organizationTeams.request, false);
    assert.deepEqual(organizationTeams.statuses, { unavailable: [403, 404] });
  });
});

void describe('stream schemas', () => {
  /** Every value of `additionalProperties` anywhere in a schema, with its JSON pointer. */
  function additionalProperties(node: unknown, path = ''): Array<[string, unknown]> {
    if (Array.isArray(node)) return node.flatMap((item, index) => additionalProperties(item, `${path}/${index}`));
    if (typeof node !== 'object' || node === null) return [];
    return Object.entries(node).flatMap(([key, value]) => [...(key === 'additionalProperties' ? [[`${path}/${key}`, value] as [string, unknown]] : []), ...additionalProperties(value, `${path}/${key}`)]);
  }

  void it('require only the key properties, which are never null', () => {
    for (const def of STREAMS) {
      const schema = schemas.schema(def.name);
      assert.deepEqual(schema.required, [...def.keyProperties], def.name);
      for (const key of def.keyProperties) {
        const type = schema.properties?.[key]?.type;
        assert.ok(type === 'string' || type === 'integer', `${def.name}.${key} is ${JSON.stringify(type)}`);
      }
    }
  });

  void it('let every other property, and the cursor, be null', () => {
    for (const def of STREAMS) {
      for (const [name, property] of Object.entries(schemas.schema(def.name).properties ?? {})) {
        if (def.keyProperties.includes(name)) continue;
        assert.ok(Array.isArray(property.type) && property.type.includes('null'), `${def.name}.${name} is not nullable`);
      }
    }
  });

  void it('set every additionalProperties, at any depth, to exactly true (Airbyte test_additional_properties_is_true)', () => {
    for (const def of STREAMS) {
      const found = additionalProperties(schemas.schema(def.name));
      assert.ok(found.length > 0, def.name);
      for (const [path, value] of found) assert.equal(value, true, `${def.name}${path}`);
    }
  });

  void it('say what the values of data maps are', () => {
    const properties = schemas.schema('stack_updates').properties ?? {};
    assert.match(String(properties.environment?.description), /string/);
    assert.match(String(properties.config?.description), /secret/);
    assert.match(String(properties.resource_changes?.description), /integer/);
    assert.match(String(properties.end_time?.description), /null while the update has not finished/);
  });

  void it('mark RFC 3339 times as date-time', () => {
    const member = schemas.schema('organization_members').properties ?? {};
    assert.equal(member.created?.format, 'date-time');
    assert.equal(member.fga_role?.properties?.modified_at?.format, 'date-time');
    assert.ok(schemas.validator('organization_members')(organizationMembers.toRecord({ user: { githubLogin: 'a' }, fgaRole: { modifiedAt: '2024-01-01T00:00:00Z' } }, orgCtx)));
    assert.equal(schemas.validator('organization_members')(organizationMembers.toRecord({ user: { githubLogin: 'a' }, fgaRole: { modifiedAt: 'yesterday' } }, orgCtx)), false);
  });

  void it('accept a record whose every non-key field is null', () => {
    const nulls = (name: StreamName, keys: Record<string, unknown>) =>
      Object.fromEntries(Object.keys(schemas.schema(name).properties ?? {}).map((property) => [property, property in keys ? keys[property] : null]));
    assertValid('stacks', nulls('stacks', stackCtx));
    assertValid('stack_updates', nulls('stack_updates', { ...stackCtx, version: 1 }));
    assertValid('organization_members', nulls('organization_members', { org_name: 'acme', user_name: 'alice' }));
    assertValid('organization_teams', nulls('organization_teams', { org_name: 'acme', name: 'platform' }));
    // Targets that flatten nested objects (Meltano SDK) read an omitted nested object as absent.
    assertValid('stacks', stackCtx);
  });
});

void describe('the streams of the next release: toRecord', () => {
  void it('environments: metadata only, times as RFC 3339 UTC, a missing project is `default`', () => {
    const record = environments.toRecord(
      {
        id: 'e1',
        name: 'dev',
        created: '2023-10-10 11:28:01',
        modified: '2023-10-11T00:00:00+02:00',
        ownedBy: { name: 'Ann', githubLogin: 'ann', avatarUrl: 'https://a/ann' },
        tags: { team: 'core', __proto__x: 'kept' },
        referrerMetadata: { environmentReferrerCount: 1, stackReferrerCount: 2, insightsAccountReferrerCount: 0 },
        settings: { deletionProtected: true },
      },
      orgCtx,
    );
    assert.equal(record.project, 'default');
    assert.equal(record.created, '2023-10-10T11:28:01.000Z');
    assert.equal(record.modified, '2023-10-10T22:00:00.000Z');
    assert.deepEqual(record.tags, { team: 'core', __proto__x: 'kept' });
    assert.deepEqual(environments.convert({ name: 'dev', project: 'app' }, orgCtx).childContext, { org_name: 'acme', project: 'app', environment: 'dev' });
    assertValid('environments', record);
  });

  void it('environment_revisions: number is the key and the cursor; tags are strings', () => {
    const context = { org_name: 'acme', project: 'app', environment: 'dev' };
    const record = environmentRevisions.toRecord({ number: '7', created: '2024-05-01T10:00:00Z', creatorLogin: 'ann', tags: ['latest', 3], retracted: { replacement: 8, at: '2024-05-02T00:00:00Z', byLogin: 'bob', reason: 'bad' } }, context);
    assert.equal(record.number, 7);
    assert.deepEqual(record.tags, ['latest']);
    assert.equal(record.retracted?.at, '2024-05-02T00:00:00.000Z');
    assert.throws(() => environmentRevisions.toRecord({ number: 'seven' }, context), RecordError);
    assertValid('environment_revisions', record);
  });

  void it('deployments: no environment variables of the updates; zone-less times read as UTC; not-started steps have no time', () => {
    const raw = {
      id: 'd1',
      created: '2023-09-19 05:49:43.002',
      modified: '2023-09-19 05:50:00.000',
      status: 'running',
      updates: [{ id: 'u', updateID: 'uu', version: 3, startTime: 10, endTime: 0, result: 'in-progress', kind: 'update', message: 'm', environment: { AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' } }],
      jobs: [{ status: 'running', started: '2023-09-19T05:49:44Z', steps: [{ name: 'deploy', status: 'not-started', started: '0001-01-01T00:00:00Z' }] }],
    };
    const record = deployments.toRecord(raw, orgCtx);
    assert.ok(!JSON.stringify(record).includes('not-a-real-secret'), 'no environment variable reaches the record');
    assert.equal(record.created, '2023-09-19T05:49:43.002Z');
    assert.equal(record.updates?.[0]?.end_time, null);
    assert.equal(record.jobs?.[0]?.steps?.[0]?.started, null);
    assert.equal(deployments.convert(raw, orgCtx).settled, false, 'a running deployment can still change');
    assert.throws(() => deployments.toRecord({ ...raw, created: 'yesterday' }, orgCtx), RecordError);
    assertValid('deployments', record);
  });

  void it('audit_logs: event_id is a hash of the event that does not depend on key order', () => {
    const event = { timestamp: 1700000000, event: 'stack.update', description: 'd', sourceIP: '10.0.0.1', user: { name: 'Ann', githubLogin: 'ann' } };
    const reordered = { user: { githubLogin: 'ann', name: 'Ann' }, sourceIP: '10.0.0.1', description: 'd', event: 'stack.update', timestamp: 1700000000 };
    const a = auditLogs.toRecord(event, orgCtx);
    assert.match(a.event_id, /^[0-9a-f]{64}$/);
    assert.equal(auditLogs.toRecord(reordered, orgCtx).event_id, a.event_id);
    assert.notEqual(auditLogs.toRecord({ ...event, description: 'e' }, orgCtx).event_id, a.event_id);
    assert.equal(a.user?.github_login, 'ann');
    assert.equal(auditLogs.selectedByDefault, false);
    assertValid('audit_logs', a);
  });

  void it('audit_logs asks the server for a window from the bookmark (less the overlap) to now', () => {
    const query = auditLogs.request.query?.(orgCtx, config, 1700000000 - 900) ?? {};
    assert.equal(query.startTime, 1700000000 - 900);
    assert.ok(typeof query.endTime === 'number' && Math.abs(query.endTime - Date.now() / 1000) < 5);
    assert.equal('startTime' in (auditLogs.request.query?.(orgCtx, config, undefined) ?? {}), false);
  });
});

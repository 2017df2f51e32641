import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { asObject, bool, camelToSnake, dataMap, int, snakeArray, snakeKeys, snakeObject, str } from '../src/streams/fields.js';

void describe('camelToSnake', () => {
  const cases: Array<[string, string]> = [
    ['orgName', 'org_name'],
    ['projectName', 'project_name'],
    ['lastUpdate', 'last_update'],
    ['githubLogin', 'github_login'],
    ['avatarUrl', 'avatar_url'],
    ['updateID', 'update_id'],
    ['roleIds', 'role_ids'],
    ['knownToPulumi', 'known_to_pulumi'],
    ['HTTPServer', 'http_server'],
    ['parseHTTPResponse', 'parse_http_response'],
    ['version2Tag', 'version2_tag'],
    ['ID', 'id'],
    ['id', 'id'],
    ['already_snake', 'already_snake'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    void it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(camelToSnake(input), expected);
    });
  }
});

void describe('snakeKeys', () => {
  void it('renames keys all the way down, through arrays', () => {
    assert.deepEqual(
      snakeKeys({
        requestedBy: { githubLogin: 'alice', avatarUrl: 'https://a' },
        policyPacks: [{ displayName: 'P', versionTag: '1.0', nested: [{ innerKey: 1 }] }],
        plain: 'keepValueAsIs',
        list: ['camelCaseString', 1, null, true],
      }),
      {
        requested_by: { github_login: 'alice', avatar_url: 'https://a' },
        policy_packs: [{ display_name: 'P', version_tag: '1.0', nested: [{ inner_key: 1 }] }],
        plain: 'keepValueAsIs',
        list: ['camelCaseString', 1, null, true],
      },
    );
  });

  void it('turns undefined into null and keeps scalars', () => {
    assert.equal(snakeKeys(undefined), null);
    assert.deepEqual(snakeKeys({ a: undefined }), { a: null });
    assert.equal(snakeKeys(5), 5);
    assert.equal(snakeKeys('x'), 'x');
    assert.equal(snakeKeys(null), null);
    assert.equal(snakeKeys(false), false);
    assert.deepEqual(snakeKeys([]), []);
  });
});

void describe('snakeObject and snakeArray', () => {
  void it('snakeObject converts objects and gives null for anything else', () => {
    assert.deepEqual(snakeObject({ fgaRole: { modifiedAt: 'x' } }), { fga_role: { modified_at: 'x' } });
    assert.equal(snakeObject(null), null);
    assert.equal(snakeObject(undefined), null);
    assert.equal(snakeObject('x'), null);
    assert.equal(snakeObject([{ a: 1 }]), null);
  });

  void it('snakeArray converts object items, drops non-objects, and gives null for a non-array', () => {
    assert.deepEqual(snakeArray([{ projectName: 'p' }, 'junk', null, [1], { stackName: 's' }]), [{ project_name: 'p' }, { stack_name: 's' }]);
    assert.deepEqual(snakeArray([]), []);
    assert.equal(snakeArray({ a: 1 }), null);
    assert.equal(snakeArray(undefined), null);
  });
});

void describe('dataMap', () => {
  void it('keeps keys verbatim', () => {
    assert.deepEqual(
      dataMap({ 'git.head': 'abc', 'proj:key': 'v', 'create-replacement': 'x', camelKey: 'y', 'exec.kind': 'cli' }, str),
      { 'git.head': 'abc', 'proj:key': 'v', 'create-replacement': 'x', camelKey: 'y', 'exec.kind': 'cli' },
    );
  });

  void it('converts values with the given function', () => {
    assert.deepEqual(dataMap({ create: 1, same: 2.5, 'create-replacement': '3', delete: null }, int), { create: 1, same: null, 'create-replacement': null, delete: null });
  });

  void it('gives null for a non-object', () => {
    assert.equal(dataMap(null, str), null);
    assert.equal(dataMap(undefined, str), null);
    assert.equal(dataMap(['a'], str), null);
    assert.equal(dataMap('a', str), null);
    assert.deepEqual(dataMap({}, str), {});
  });
});

void describe('scalar conversions', () => {
  void it('str', () => {
    assert.equal(str('a'), 'a');
    assert.equal(str(''), '');
    assert.equal(str(1), null);
    assert.equal(str(null), null);
    assert.equal(str(undefined), null);
  });
  void it('int', () => {
    assert.equal(int(3), 3);
    assert.equal(int(0), 0);
    assert.equal(int(-2), -2);
    assert.equal(int(1.5), null);
    assert.equal(int('3'), null);
    assert.equal(int(Number.NaN), null);
    assert.equal(int(Number.POSITIVE_INFINITY), null);
  });
  void it('bool', () => {
    assert.equal(bool(true), true);
    assert.equal(bool(false), false);
    assert.equal(bool('true'), null);
    assert.equal(bool(0), null);
  });
  void it('asObject', () => {
    const o = { a: 1 };
    assert.equal(asObject(o), o);
    assert.equal(asObject([]), null);
    assert.equal(asObject(null), null);
    assert.equal(asObject('x'), null);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RecordError } from '../src/errors.js';
import {
  arrayOf,
  asObject,
  bool,
  brief,
  camelToSnake,
  cursorInt,
  dataMap,
  dataObject,
  int,
  isExactInteger,
  isString,
  keyInt,
  keyString,
  links,
  objectOf,
  setOwn,
  snakeKeys,
  str,
  uniformMap,
  userInfo,
} from '../src/streams/fields.js';

/** Keys that are special to plain JavaScript objects, as a hostile or unlucky API could send them. */
const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

function throwsRecordError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RecordError, `expected a RecordError, got ${String(error)}`);
    assert.equal(error.failureType, 'system_error');
    assert.ok(!error.message.includes('\n'), `'${error.message}' should be one line`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    return true;
  });
}

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

void describe('objectOf', () => {
  const person = objectOf({ name: str, github_login: str, email: str });

  void it('gives every declared property, null when the API omits it, converted when present', () => {
    assert.deepEqual(person({ githubLogin: 'alice' }), { name: null, github_login: 'alice', email: null });
    assert.deepEqual(person({}), { name: null, github_login: null, email: null });
    assert.deepEqual(person({ name: 5, githubLogin: ['x'], email: null }), { name: null, github_login: null, email: null });
  });

  void it('keeps keys the schema does not declare, snake_cased all the way down', () => {
    const record = person({ name: 'A', avatarUrl: 'https://a', extraInfo: { innerKey: [{ deepKey: 1 }] } });
    assert.deepEqual(record, { name: 'A', github_login: null, email: null, avatar_url: 'https://a', extra_info: { inner_key: [{ deep_key: 1 }] } });
    assert.deepEqual(Object.keys(record ?? {}), ['name', 'github_login', 'email', 'avatar_url', 'extra_info']);
  });

  void it('nests declared objects', () => {
    const commit = objectOf({ sha: str, author: userInfo });
    assert.deepEqual(commit({ author: { githubLogin: 'bob' } }), { sha: null, author: { name: null, github_login: 'bob', avatar_url: null, email: null } });
    assert.deepEqual(commit({ sha: 'abc' }), { sha: 'abc', author: null });
    assert.deepEqual(links({}), { self: null });
  });

  void it('gives null for anything but an object', () => {
    for (const raw of [null, undefined, 'x', 1, true, [{ name: 'A' }]]) assert.equal(person(raw), null, JSON.stringify(raw));
  });

  void it('does not take a declared converter for a key named like an Object.prototype member', () => {
    const raw = JSON.parse('{"constructor": "c", "toString": "t", "__proto__": {"polluted": true}, "hasOwnProperty": 1}') as unknown;
    const record = person(raw);
    assert.ok(record);
    assert.deepEqual(Object.keys(record), ['name', 'github_login', 'email', 'constructor', 'to_string', '__proto__', 'has_own_property']);
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.equal(JSON.stringify(record), '{"name":null,"github_login":null,"email":null,"constructor":"c","to_string":"t","__proto__":{"polluted":true},"has_own_property":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

void describe('arrayOf', () => {
  const entries = arrayOf(objectOf({ project_name: str }));

  void it('converts object items, drops the rest, and gives null for a non-array', () => {
    assert.deepEqual(entries([{ projectName: 'p' }, 'junk', null, [1], { stackName: 's' }]), [{ project_name: 'p' }, { project_name: null, stack_name: 's' }]);
    assert.deepEqual(entries([]), []);
    assert.equal(entries({ a: 1 }), null);
    assert.equal(entries(undefined), null);
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
    assert.deepEqual(dataMap({ create: 1, same: 2.5, 'create-replacement': '3', delete: null }, int), { create: 1, same: null, 'create-replacement': 3, delete: null });
  });

  void it('gives null for a non-object', () => {
    assert.equal(dataMap(null, str), null);
    assert.equal(dataMap(undefined, str), null);
    assert.equal(dataMap(['a'], str), null);
    assert.equal(dataMap('a', str), null);
    assert.deepEqual(dataMap({}, str), {});
  });
});

void describe('keys that are data survive, whatever their name', () => {
  const input = (value: string) => JSON.parse(`{${SPECIAL_KEYS.map((key) => `"${key}": ${value}`).join(', ')}}`) as unknown;

  function assertKeptAsOwn(out: unknown, expected: unknown, keys = SPECIAL_KEYS): void {
    const object = asObject(out);
    assert.ok(object);
    assert.deepEqual(Object.keys(object), keys);
    for (const key of keys) assert.deepEqual(Object.getOwnPropertyDescriptor(object, key)?.value, expected, key);
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    const text = JSON.stringify(out);
    for (const key of keys) assert.ok(text.includes(`"${key}":`), `${key} missing from ${text}`);
  }

  void it('dataMap', () => {
    assertKeptAsOwn(dataMap(input('"v"'), str), 'v');
    assertKeptAsOwn(dataMap(input('7'), str), null);
  });

  void it('uniformMap, on both its paths', () => {
    assertKeptAsOwn(uniformMap(input('"v"'), isString, str), 'v');
    assertKeptAsOwn(uniformMap(input('"2"'), isExactInteger, int), 2);
  });

  void it('snakeKeys, at any depth', () => {
    assertKeptAsOwn(snakeKeys(input('"v"')), 'v', SPECIAL_KEYS.map(camelToSnake));
    const nested = snakeKeys(JSON.parse('{"outerKey": [{"__proto__": {"__proto__": 1}}]}'));
    assert.equal(JSON.stringify(nested), '{"outer_key":[{"__proto__":{"__proto__":1}}]}');
  });

  void it('dataObject keeps the parsed object as sent', () => {
    assertKeptAsOwn(dataObject(input('{"innerKey": 1}')), { innerKey: 1 });
  });

  void it('setOwn', () => {
    const out: Record<string, number> = {};
    for (const [index, key] of SPECIAL_KEYS.entries()) setOwn(out, key, index);
    assert.deepEqual(Object.keys(out), SPECIAL_KEYS);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(JSON.stringify(out), '{"__proto__":0,"constructor":1,"prototype":2,"toString":3,"hasOwnProperty":4,"valueOf":5}');
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
    assert.equal(int(Number.NaN), null);
    assert.equal(int(Number.POSITIVE_INFINITY), null);
    assert.equal(int(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    assert.equal(int(-Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
    assert.equal(int(Number.MAX_SAFE_INTEGER + 1), null);
    assert.equal(int(JSON.parse('9007199254740993')), null);
    assert.equal(int(1e21), null);
    assert.equal(int(null), null);
    assert.equal(int(undefined), null);
    assert.equal(int(true), null);
    assert.equal(int({}), null);
  });
  void it('int reads exact digit strings', () => {
    assert.equal(int('3'), 3);
    assert.equal(int('0'), 0);
    assert.equal(int('-42'), -42);
    assert.equal(int('1716119542'), 1716119542);
    assert.equal(int(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  });
  void it('int refuses strings that are not exactly one integer', () => {
    for (const text of ['', ' 3', '3 ', '+3', '-0', '03', '3.0', '3.5', '3e2', '0x10', 'abc', '1_000', '9007199254740992', '9007199254740993', '99999999999999999999']) {
      assert.equal(int(text), null, JSON.stringify(text));
    }
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

void describe('keyString', () => {
  void it('gives a non-empty string back', () => {
    assert.equal(keyString('prod', 'stack_name'), 'prod');
    assert.equal(keyString('0', 'stack_name'), '0');
  });

  void it('throws a RecordError naming the field for anything else', () => {
    throwsRecordError(() => keyString(undefined, 'stack_name (stackName)'), 'key stack_name (stackName)', 'got nothing (absent)');
    throwsRecordError(() => keyString(null, 'stack_name'), 'key stack_name', 'got null');
    throwsRecordError(() => keyString('', 'stack_name'), 'got ""');
    throwsRecordError(() => keyString(7, 'stack_name'), 'got 7');
    throwsRecordError(() => keyString({ a: 1 }, 'stack_name'), 'got {"a":1}');
    throwsRecordError(() => keyString(['x'], 'stack_name'), 'got ["x"]');
  });
});

void describe('keyInt', () => {
  void it('takes a safe integer or its exact digits', () => {
    assert.equal(keyInt(42, 'version'), 42);
    assert.equal(keyInt('42', 'version'), 42);
    assert.equal(keyInt(0, 'version'), 0);
    assert.equal(keyInt(Number.MAX_SAFE_INTEGER, 'version'), Number.MAX_SAFE_INTEGER);
  });

  void it('throws a RecordError naming the field for anything it would have to guess', () => {
    for (const value of [undefined, null, '', 'abc', 'seven', 1.5, '1.5', ' 42', Number.NaN, true, {}, [7], Number.MAX_SAFE_INTEGER + 1, '9007199254740993']) {
      throwsRecordError(() => keyInt(value, 'version'), 'key version must be an integer');
    }
    throwsRecordError(() => keyInt(JSON.parse('9007199254740993'), 'version'), 'got 9007199254740992');
    throwsRecordError(() => keyInt('abc', 'version'), 'got "abc"');
  });
});

void describe('cursorInt', () => {
  void it('gives null when there is none', () => {
    assert.equal(cursorInt(undefined, 'last_update'), null);
    assert.equal(cursorInt(null, 'last_update'), null);
  });

  void it('takes a safe integer or its exact digits, without checking its range', () => {
    assert.equal(cursorInt(1716119542, 'start_time'), 1716119542);
    assert.equal(cursorInt('1716119542', 'start_time'), 1716119542);
    assert.equal(cursorInt(0, 'start_time'), 0);
    assert.equal(cursorInt(1.7e12, 'start_time'), 1.7e12);
    assert.equal(cursorInt(-5, 'start_time'), -5);
  });

  void it('throws a RecordError naming the field for a value present but not exact', () => {
    for (const value of ['', 'yesterday', '2024-05-19T12:00:00Z', 1.5, true, {}, [], Number.MAX_SAFE_INTEGER + 1, '99999999999999999999']) {
      throwsRecordError(() => cursorInt(value, 'start_time (startTime)'), 'cursor start_time (startTime) must be an integer');
    }
    throwsRecordError(() => cursorInt('yesterday', 'start_time'), 'got "yesterday"');
  });
});

void describe('brief', () => {
  void it('shows a value as JSON, cut short', () => {
    assert.equal(brief('abc'), '"abc"');
    assert.equal(brief(12), '12');
    assert.equal(brief(null), 'null');
    assert.equal(brief(undefined), 'nothing (absent)');
    assert.equal(brief({ a: [1] }), '{"a":[1]}');
    const long = brief('x'.repeat(5000));
    assert.ok(long.length <= 41, long);
    assert.ok(long.endsWith('…'));
  });

  void it('keeps a RecordError message short for a huge value', () => {
    throwsRecordError(() => keyString({ nested: 'y'.repeat(100_000) }, 'name'), 'key name', '…');
    try {
      keyString({ nested: 'y'.repeat(100_000) }, 'name');
    } catch (error) {
      assert.ok(error instanceof Error && error.message.length < 120, String(error));
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Redactor } from '../src/redact.js';

const TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';

void describe('Redactor', () => {
  void it('masks the secret wherever it appears', () => {
    const r = new Redactor(['hunter2-secret']);
    assert.equal(r.redact('password is hunter2-secret, again hunter2-secret.'), 'password is ****, again ****.');
  });

  void it('leaves text without secrets unchanged', () => {
    const r = new Redactor(['hunter2-secret']);
    assert.equal(r.redact('nothing to see here'), 'nothing to see here');
    assert.equal(r.redact(''), '');
  });

  void it('masks the JSON-escaped form of the secret', () => {
    const secret = 'a"b\\c\nd-secret';
    const r = new Redactor([secret]);
    const line = JSON.stringify({ message: `value ${secret} end` });
    assert.equal(line, '{"message":"value a\\"b\\\\c\\nd-secret end"}');
    assert.equal(r.redact(line), '{"message":"value **** end"}');
    assert.equal(r.redact(`raw ${secret}`), 'raw ****');
  });

  void it('masks the URL-encoded form of the secret', () => {
    const secret = 'p@ss word/&=?';
    const r = new Redactor([secret]);
    assert.equal(r.redact(`https://x/?token=${encodeURIComponent(secret)}&a=1`), 'https://x/?token=****&a=1');
    assert.equal(r.redact(`raw ${secret} end`), 'raw **** end');
  });

  void it('masks anything shaped like a Pulumi token, known or not', () => {
    const r = new Redactor();
    assert.equal(r.redact(`Authorization: token ${TOKEN}`), 'Authorization: token ****');
    assert.equal(r.redact('"pul-ABCDEF0123456789abcdef"'), '"****"');
    assert.equal(r.redact('x pul-0123456789abcdef y pul-fedcba9876543210fedcba z'), 'x **** y **** z');
  });

  void it('does not mask short pul- words or non-hex tails', () => {
    const r = new Redactor();
    assert.equal(r.redact('pul-1234 is short'), 'pul-1234 is short');
    assert.equal(r.redact('pul-request is a word'), 'pul-request is a word');
  });

  void it('leaves secrets shorter than 4 characters alone', () => {
    const r = new Redactor(['abc', '', undefined, 'a']);
    assert.equal(r.redact('abc a abcdef'), 'abc a abcdef');
  });

  void it('masks a 4-character secret', () => {
    const r = new Redactor(['abcd']);
    assert.equal(r.redact('xabcdx'), 'x****x');
  });

  void it('add() works after construction', () => {
    const r = new Redactor(['first-secret']);
    assert.equal(r.redact('second-secret'), 'second-secret');
    r.add('second-secret');
    r.add(undefined);
    r.add('ab');
    assert.equal(r.redact('first-secret second-secret ab'), '**** **** ab');
  });

  void it('masks a secret that contains another one whole', () => {
    const r = new Redactor(['abcd', 'xxabcdyy']);
    assert.equal(r.redact('[xxabcdyy] [abcd]'), '[****] [****]');
    const reversed = new Redactor(['xxabcdyy', 'abcd']);
    assert.equal(reversed.redact('[xxabcdyy] [abcd]'), '[****] [****]');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Redactor } from '../src/io/redact.js';

const TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';
const MASK = '****';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * How many characters of `original` one mask replaced; the rest must be untouched. A base64 text
 * keeps at most the two edge characters that mix bits of the secret with bits of its neighbours.
 */
function maskedCharacters(original: string, redacted: string): number {
  const [before = '', after = '', ...more] = redacted.split(MASK);
  assert.equal(more.length, 0, `one mask in ${redacted}`);
  assert.ok(original.startsWith(before) && original.endsWith(after), `${redacted} keeps the rest of ${original}`);
  return original.length - before.length - after.length;
}

function assertBase64Masked(redactor: Redactor, encoded: string, secret: string): void {
  const secretCharacters = Math.ceil((Buffer.byteLength(secret) * 4) / 3);
  const masked = maskedCharacters(encoded, redactor.redact(encoded));
  assert.ok(masked >= secretCharacters - 2 && masked <= secretCharacters + 1, `${masked} of ${secretCharacters} masked in ${encoded}`);
}

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

  void it('masks a secret with " and \\ escaped twice, as in a LOG line quoting a JSON error body', () => {
    const secret = 'to"ken\\with-quote';
    const r = new Redactor([secret]);
    const logLine = (value: string) =>
      JSON.stringify({ type: 'LOG', log: { level: 'ERROR', message: `Pulumi said ${JSON.stringify({ received: value })}` } });
    assert.ok(logLine(secret).includes('to\\\\\\"ken\\\\\\\\with-quote'));
    assert.equal(r.redact(logLine(secret)), logLine(MASK));
    assert.equal(r.redact(logLine(secret.toUpperCase())), logLine(MASK));
    const traceLine = (value: string) => JSON.stringify({ type: 'TRACE', trace: { error: { internal_message: JSON.stringify({ value }) } } });
    assert.equal(r.redact(traceLine(secret)), traceLine(MASK));
  });

  void it('masks the URL-encoded form of the secret, with hex digits in either case', () => {
    const secret = 'p@ss word/&=?';
    const r = new Redactor([secret]);
    assert.equal(r.redact(`https://x/?token=${encodeURIComponent(secret)}&a=1`), 'https://x/?token=****&a=1');
    const lowerHex = encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
    assert.equal(r.redact(`https://x/?token=${lowerHex}&a=1`), 'https://x/?token=****&a=1');
    assert.equal(r.redact(`raw ${secret} end`), 'raw **** end');
  });

  void it('masks the secret as a query string writes it (space as +)', () => {
    const r = new Redactor(['p@ss word/&=?']);
    assert.equal(r.redact(`https://x/?${new URLSearchParams({ token: 'p@ss word/&=?', a: '1' }).toString()}`), 'https://x/?token=****&a=1');
  });

  void it('masks an echo of the token in upper or mixed case', () => {
    const r = new Redactor([TOKEN]);
    assert.equal(r.redact(`echo: ${TOKEN.toUpperCase()}.`), 'echo: ****.');
    assert.equal(r.redact('Pul-0123456789ABCdef0123456789abcdef01234567'), MASK);
    const secret = 'Hunter2-Secret';
    assert.equal(new Redactor([secret]).redact('got HUNTER2-SECRET and hunter2-secret'), 'got **** and ****');
  });

  void it('masks an upper-case echo of a secret with non-ASCII letters', () => {
    const r = new Redactor(['héllo-wörld-secret']);
    assert.equal(r.redact('echo HÉLLO-WÖRLD-SECRET'), 'echo ****');
  });

  void it('masks the base64 and base64url of the token at every byte alignment', () => {
    const r = new Redactor([TOKEN]);
    for (const before of ['', 'x', 'xy', 'xyz', 'token ', 'Authorization: token ']) {
      assertBase64Masked(r, base64(`${before}${TOKEN}`), TOKEN);
      assertBase64Masked(r, base64(`${before}${TOKEN}\n`), TOKEN);
      assertBase64Masked(r, base64url(`${before}${TOKEN}!`), TOKEN);
    }
    assertBase64Masked(r, base64(`Authorization: token ${TOKEN}\n`), TOKEN);
    assertBase64Masked(r, base64url(JSON.stringify({ user: 'me', token: TOKEN, exp: 1700000000 })), TOKEN);
  });

  void it('masks base64url where it differs from base64 (- and _ for + and /)', () => {
    const secret = 'my-secret>>>???-value';
    const r = new Redactor([secret]);
    for (const before of ['', 'a', 'ab']) {
      const standard = base64(`${before}${secret}`);
      const urlSafe = base64url(`${before}${secret}`);
      assert.match(standard, /[+/]/);
      assert.match(urlSafe, /[-_]/);
      assertBase64Masked(r, standard, secret);
      assertBase64Masked(r, urlSafe, secret);
    }
  });

  void it('masks the base64 of a JSON document holding a secret with a quote', () => {
    const secret = 'to"ken-with-quote';
    const r = new Redactor([secret]);
    assertBase64Masked(r, base64url(JSON.stringify({ token: secret })), JSON.stringify(secret).slice(1, -1));
  });

  void it('masks the start of a secret that a cut left at the end of a message', () => {
    const r = new Redactor([TOKEN]);
    assert.equal(r.redact(`bad token ${TOKEN.slice(0, 15)}`), 'bad token ****');
    assert.equal(r.redact(`bad token ${TOKEN.slice(0, 15)}…`), 'bad token ****…');
    assert.equal(r.redact(`bad token ${TOKEN.slice(0, 15).toUpperCase()}`), 'bad token ****');
    const logLine = (message: string) => JSON.stringify({ type: 'LOG', log: { level: 'ERROR', message } });
    assert.equal(r.redact(logLine(`bad token ${TOKEN.slice(0, 15)}…`)), logLine('bad token ****…'));
  });

  void it('masks the base64 of a token cut short', () => {
    const encoded = base64(`token ${TOKEN}`);
    // "token " is 6 bytes, 8 characters: the token's own characters start right after them.
    assert.equal(new Redactor([TOKEN]).redact(encoded.slice(0, 30)), `${encoded.slice(0, 8)}****`);
  });

  void it('masks a start of 8 characters or more of any secret, not a shorter one', () => {
    const r = new Redactor(['correct-horse-battery-staple']);
    assert.equal(r.redact('it said correct-'), 'it said ****');
    assert.equal(r.redact('it said correct-horse-batt'), 'it said ****');
    // Seven characters are a word like any other.
    assert.equal(r.redact('it said correct'), 'it said correct');
  });

  void it('masks the cut-off start of a JSON-escaped secret', () => {
    const secret = 'ab"cdefghijklmnop';
    const r = new Redactor([secret]);
    const line = JSON.stringify({ message: `echo ${secret}` });
    const cut = line.slice(0, line.indexOf('ab\\"') + 'ab\\"cdefg'.length);
    assert.equal(r.redact(cut), '{"message":"echo ****');
  });

  void it('masks anything shaped like a Pulumi token, known or not, in any case', () => {
    const r = new Redactor();
    assert.equal(r.redact(`Authorization: token ${TOKEN}`), 'Authorization: token ****');
    assert.equal(r.redact('"pul-ABCDEF0123456789abcdef"'), '"****"');
    assert.equal(r.redact('"PUL-ABCDEF0123456789ABCDEF"'), '"****"');
    assert.equal(r.redact('x pul-0123456789abcdef y pul-fedcba9876543210fedcba z'), 'x **** y **** z');
  });

  void it('masks a token shape cut after 8 to 15 hex digits', () => {
    const r = new Redactor();
    assert.equal(r.redact('token pul-89abcdef'), 'token ****');
    assert.equal(r.redact('token PUL-89ABCDEF0123456…'), 'token ****…');
    assert.equal(r.redact('{"message":"token pul-89abcdef01"}'), '{"message":"token ****"}');
  });

  void it('does not mask short pul- words or non-hex tails', () => {
    const r = new Redactor();
    assert.equal(r.redact('pul-1234 is short'), 'pul-1234 is short');
    assert.equal(r.redact('pul-89abcde has 7 digits'), 'pul-89abcde has 7 digits');
    assert.equal(r.redact('pul-request is a word'), 'pul-request is a word');
    assert.equal(r.redact('pul-89abcdefghij goes on as a word'), 'pul-89abcdefghij goes on as a word');
  });

  void it('leaves ordinary text alone, base64 and the word pul- included', () => {
    const r = new Redactor([TOKEN, 'p@ss"word\\with/odd+chars']);
    const ordinary = [
      'pul-',
      'PUL-',
      'the pul- prefix marks a Pulumi token',
      'pulumi:pulumi:Stack https://app.pulumi.com/acme-corp/payments/production',
      base64('Authorization: token pul-fedcba9876543210fedcba9876543210fedcba98\n'),
      base64url(JSON.stringify({ user: 'someone-else', scope: 'read' })),
      'SGVsbG8sIFdvcmxkIQ==',
      JSON.stringify({ type: 'RECORD', record: { stream: 'stacks', data: { orgName: 'acme', projectName: 'pul-service', version: 7 } } }),
    ];
    for (const text of ordinary) assert.equal(r.redact(text), text);
  });

  void it('leaves secrets shorter than 4 characters alone', () => {
    const r = new Redactor(['abc', '', undefined, 'a']);
    assert.equal(r.redact('abc a abcdef'), 'abc a abcdef');
  });

  void it('masks a 4-character secret', () => {
    const r = new Redactor(['abcd']);
    assert.equal(r.redact('xabcdx'), 'x****x');
  });

  void it('trims whitespace around a secret read from a file or the environment', () => {
    const r = new Redactor(['  hunter2-secret\n']);
    assert.equal(r.redact('password is hunter2-secret.'), 'password is ****.');
    assertBase64Masked(r, base64('hunter2-secret'), 'hunter2-secret');
    const blank = new Redactor([' \n\t ', '  ab  ']);
    assert.equal(blank.redact('a b ab \n\t '), 'a b ab \n\t ');
  });

  void it('add() works after construction, for every form', () => {
    const r = new Redactor(['first-secret']);
    assert.equal(r.redact('second-secret'), 'second-secret');
    r.add('second-secret');
    r.add(undefined);
    r.add('ab');
    assert.equal(r.redact('first-secret second-secret ab'), '**** **** ab');
    assert.equal(r.redact('SECOND-SECRET'), MASK);
    assertBase64Masked(r, base64('second-secret'), 'second-secret');
  });

  void it('masks a secret that contains another one whole', () => {
    const r = new Redactor(['abcd', 'xxabcdyy']);
    assert.equal(r.redact('[xxabcdyy] [abcd]'), '[****] [****]');
    const reversed = new Redactor(['xxabcdyy', 'abcd']);
    assert.equal(reversed.redact('[xxabcdyy] [abcd]'), '[****] [****]');
  });

  void it('masks overlapping matches as one, leaving no tail', () => {
    const r = new Redactor(['aaaaaaaaab']);
    assert.equal(r.redact('xaaaaaaaaaaaby'), 'x****y');
  });
});

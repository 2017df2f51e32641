import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeErrorBody, retryAfterMs, shorten } from '../src/io/http/responses.js';

void describe('shorten', () => {
  void it('collapses whitespace and trims', () => {
    assert.equal(shorten('  a \n\n b\t\tc  '), 'a b c');
  });
  void it('cuts long text to the limit with an ellipsis', () => {
    const out = shorten('x'.repeat(500));
    assert.equal(out.length, 200);
    assert.equal(out, `${'x'.repeat(199)}…`);
    assert.equal(shorten('x'.repeat(200)), 'x'.repeat(200));
    assert.equal(shorten('abcdef', 4), 'abc…');
  });
});

void describe('describeErrorBody', () => {
  void it('gives the message of a Pulumi JSON error body', () => {
    assert.equal(describeErrorBody('{"code":401,"message":"Unauthorized: No credentials provided or are invalid."}'), 'Unauthorized: No credentials provided or are invalid.');
    assert.equal(describeErrorBody(`{"code": 404, "message": "Not Found: Organization 'x' not found"}`), "Not Found: Organization 'x' not found");
    assert.equal(
      describeErrorBody(JSON.stringify({ code: 400, message: 'Invalid continuation token', documentationUrl: 'https://x', errors: [{ resource: 'r', errorType: 'e' }] })),
      'Invalid continuation token',
    );
  });

  void it('shortens a long JSON message too', () => {
    const out = describeErrorBody(JSON.stringify({ code: 500, message: `m\n${'y'.repeat(300)}` }));
    assert.equal(out.length, 200);
    assert.ok(out.startsWith('m y'));
    assert.ok(out.endsWith('…'));
  });

  void it('falls back to the raw text for non-JSON bodies, whitespace collapsed', () => {
    assert.equal(describeErrorBody('<html>\n  <body>\n    <h1>502   Bad Gateway</h1>\n  </body>\n</html>\n'), '<html> <body> <h1>502 Bad Gateway</h1> </body> </html>');
    assert.equal(describeErrorBody('Too Many Requests'), 'Too Many Requests');
    assert.equal(describeErrorBody(''), '');
  });

  void it('shortens a long non-JSON body to 200 characters', () => {
    const body = `<html>${'<p>blocked   by   firewall</p>\n'.repeat(50)}</html>`;
    const out = describeErrorBody(body);
    assert.equal(out.length, 200);
    assert.ok(out.endsWith('…'));
    assert.ok(!/\s{2,}|\n/.test(out));
  });

  void it('falls back to the raw text for JSON without a string message', () => {
    assert.equal(describeErrorBody('{"code":500}'), '{"code":500}');
    assert.equal(describeErrorBody('{"message": 5}'), '{"message": 5}');
    assert.equal(describeErrorBody('null'), 'null');
    assert.equal(describeErrorBody('["a"]'), '["a"]');
  });
});

void describe('retryAfterMs', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  void it('reads delta-seconds', () => {
    assert.equal(retryAfterMs('5', now), 5000);
    assert.equal(retryAfterMs('0', now), 0);
    assert.equal(retryAfterMs(' 120 ', now), 120_000);
  });

  void it('reads fractional seconds', () => {
    assert.equal(retryAfterMs('1.5', now), 1500);
    assert.equal(retryAfterMs('0.25', now), 250);
  });

  void it('reads an HTTP date relative to now', () => {
    assert.equal(retryAfterMs('Wed, 01 May 2024 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Wed, 01 May 2024 12:00:00 GMT', now), 0);
  });

  void it('gives 0 for an HTTP date in the past', () => {
    assert.equal(retryAfterMs('Wed, 01 May 2024 11:59:00 GMT', now), 0);
  });

  void it('gives undefined for a missing or garbage header', () => {
    assert.equal(retryAfterMs(undefined, now), undefined);
    assert.equal(retryAfterMs('', now), undefined);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs('1e3', now), undefined);
    assert.equal(retryAfterMs('5s', now), undefined);
  });

  void it('gives undefined for a negative number (neither delta-seconds nor an HTTP date)', () => {
    // V8's Date.parse reads '-1' as a date in 2001, which would make the client retry at once.
    assert.equal(retryAfterMs('-1', now), undefined);
  });
});

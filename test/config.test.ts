import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { editDistance } from '../src/config/nearest.js';
import { checkBaseUrl, jsonErrorPosition, loadConfig, parseConfig, readJsonFile, TOKEN_ENV, unknownSettings } from '../src/config/config.js';
import { ConfigError } from '../src/errors.js';

const TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';

function rejectsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    return true;
  });
}

async function rejectsConfigAsync(promise: Promise<unknown>, ...fragments: string[]): Promise<string> {
  let message = '';
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should contain '${fragment}'`);
    message = error.message;
    return true;
  });
  return message;
}

void describe('unknown settings', () => {
  void it('names a misspelt setting and the nearest known one', () => {
    assert.deepEqual(unknownSettings({ 'start-date': '2024-01-01', page_sise: 5, organizations: ['a'] }), [
      "config: unknown setting 'start-date' is ignored (did you mean 'start_date'?)",
      "config: unknown setting 'page_sise' is ignored (did you mean 'page_size'?)",
    ]);
  });
  void it('lists the known settings when nothing is close', () => {
    const [line] = unknownSettings({ colour: 'blue' });
    assert.match(line ?? '', /^config: unknown setting 'colour' is ignored \(known settings: token, organizations, start_date, /);
  });
  void it('edit distance', () => {
    assert.equal(editDistance('page_sise', 'page_size'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

void describe('parseConfig', () => {
  void it('fills in the defaults', () => {
    assert.deepEqual(parseConfig({ token: TOKEN, organizations: ['acme'] }, {}), {
      token: TOKEN,
      organizations: ['acme'],
      startDate: undefined,
      baseUrl: 'https://api.pulumi.com',
      pageSize: 100,
      maxConcurrency: 8,
      requestTimeoutMs: 60_000,
      maxAttempts: 5,
      checkpointIntervalMs: 5000,
      maxResponseBytes: 64 * 2 ** 20,
      retryBaseMs: 1000,
      deploymentsLookbackDays: 3,
      usageLookbackDays: 7,
    });
  });

  void it('reads every option', () => {
    const config = parseConfig(
      {
        token: TOKEN,
        organizations: ['acme', 'beta'],
        start_date: '2024-01-01T00:00:00Z',
        base_url: 'https://pulumi.example.com/',
        page_size: 25,
        max_concurrency: 3,
        request_timeout_seconds: 10,
        max_attempts: 2,
        checkpoint_interval_seconds: 0.5,
        max_response_mb: 8,
        retry_base_seconds: 0.25,
        deployments_lookback_days: 1.5,
        usage_lookback_days: 30,
        unknown_extra: 'ignored',
      },
      {},
    );
    assert.deepEqual(config, {
      token: TOKEN,
      organizations: ['acme', 'beta'],
      startDate: 1704067200,
      baseUrl: 'https://pulumi.example.com',
      pageSize: 25,
      maxConcurrency: 3,
      requestTimeoutMs: 10_000,
      maxAttempts: 2,
      checkpointIntervalMs: 500,
      maxResponseBytes: 8 * 2 ** 20,
      retryBaseMs: 250,
      deploymentsLookbackDays: 1.5,
      usageLookbackDays: 30,
    });
  });

  void it('trims whitespace around the token, from the config or the environment', () => {
    assert.equal(parseConfig({ token: `  ${TOKEN}\n`, organizations: ['acme'] }, {}).token, TOKEN);
    assert.equal(parseConfig({ organizations: ['acme'] }, { PULUMI_ACCESS_TOKEN: `${TOKEN}\r\n` }).token, TOKEN);
    assert.throws(() => parseConfig({ token: ' \n', organizations: ['acme'] }, {}), /'token' must NOT have fewer than 1 characters/);
  });

  void it('accepts a base_url scheme in any case', () => {
    assert.equal(parseConfig({ token: TOKEN, organizations: ['a'], base_url: 'HTTPS://Pulumi.Example.com' }, {}).baseUrl, 'https://pulumi.example.com');
    assert.equal(parseConfig({ token: TOKEN, organizations: ['a'], base_url: 'HTTP://127.0.0.1:8080' }, {}).baseUrl, 'http://127.0.0.1:8080');
  });

  void it(`takes the token from ${TOKEN_ENV} when the config has none`, () => {
    assert.equal(TOKEN_ENV, 'PULUMI_ACCESS_TOKEN');
    assert.equal(parseConfig({ organizations: ['acme'] }, { PULUMI_ACCESS_TOKEN: 'pul-fromenv' }).token, 'pul-fromenv');
  });

  void it('prefers the config token over the environment', () => {
    assert.equal(parseConfig({ token: 'pul-fromconfig', organizations: ['acme'] }, { PULUMI_ACCESS_TOKEN: 'pul-fromenv' }).token, 'pul-fromconfig');
  });

  void it('does not modify the raw config it is given', () => {
    const raw = { organizations: ['acme'] };
    parseConfig(raw, { PULUMI_ACCESS_TOKEN: 'pul-fromenv' });
    assert.deepEqual(raw, { organizations: ['acme'] });
  });

  void it('asks for a token when there is none', () => {
    rejectsConfig(() => parseConfig({ organizations: ['acme'] }, {}), "invalid config: 'token' is required (or set PULUMI_ACCESS_TOKEN)");
    rejectsConfig(() => parseConfig({ organizations: ['acme'] }, { PULUMI_ACCESS_TOKEN: '' }), "'token' is required (or set PULUMI_ACCESS_TOKEN)");
  });

  void it('rejects an empty or non-string token, naming the field', () => {
    rejectsConfig(() => parseConfig({ token: '', organizations: ['acme'] }, {}), "'token' must NOT have fewer than 1 characters");
    rejectsConfig(() => parseConfig({ token: 42, organizations: ['acme'] }, {}), "'token' must be string");
  });

  void it('requires organizations', () => {
    rejectsConfig(() => parseConfig({ token: TOKEN }, {}), "invalid config: 'organizations' is required");
  });

  void it('rejects an empty organizations list', () => {
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: [] }, {}), "'organizations' must NOT have fewer than 1 items");
  });

  void it('rejects organizations of the wrong type', () => {
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: 'acme' }, {}), "'organizations' must be array");
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: [1] }, {}), "'organizations[0]' must be string");
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: [''] }, {}), "'organizations[0]' must NOT have fewer than 1 characters");
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['a', 'a'] }, {}), "'organizations' must NOT have duplicate items");
  });

  void it('converts start_date to Unix seconds', () => {
    const at = (start_date: string) => parseConfig({ token: TOKEN, organizations: ['acme'], start_date }, {}).startDate;
    assert.equal(at('2024-01-01T00:00:00Z'), 1704067200);
    assert.equal(at('2024-01-01T00:00:00.999Z'), 1704067200);
    assert.equal(at('2024-01-01T02:00:00+02:00'), 1704067200);
  });

  void it('rejects a bad start_date', () => {
    for (const start_date of ['yesterday', '2024-01-01T00:00:00', '2024-01-01 00:00:00Z']) {
      rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], start_date }, {}), "invalid config: 'start_date' must match pattern");
    }
    for (const start_date of ['2024-02-30T00:00:00Z', '2023-02-29']) {
      rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], start_date }, {}), `invalid config: 'start_date' is not a real date: ${start_date}`);
    }
    assert.equal(parseConfig({ token: TOKEN, organizations: ['acme'], start_date: '2024-01-01' }, {}).startDate, 1704067200);
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], start_date: 1704067200 }, {}), "'start_date' must be string");
  });

  void it('rejects out-of-range numbers, naming the field', () => {
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], page_size: 0 }, {}), "'page_size' must be >= 1");
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], page_size: 501 }, {}), "'page_size' must be <= 500");
    rejectsConfig(() => parseConfig({ token: TOKEN, organizations: ['acme'], max_concurrency: 1.5 }, {}), "'max_concurrency' must be integer");
  });

  void it('refuses plain http to a non-loopback host', () => {
    rejectsConfig(
      () => parseConfig({ token: TOKEN, organizations: ['acme'], base_url: 'http://pulumi.example.com/api' }, {}),
      "'base_url' must use https (plain http is allowed only for loopback addresses): http://pulumi.example.com",
    );
    rejectsConfig(() => checkBaseUrl('http://127.0.0.1.example.com'), 'must use https');
    rejectsConfig(() => checkBaseUrl('http://localhost.example.com'), 'must use https');
    rejectsConfig(() => checkBaseUrl('http://10.0.0.1:8080'), 'must use https');
  });

  void it('accepts plain http to loopback addresses', () => {
    const base = (base_url: string) => parseConfig({ token: TOKEN, organizations: ['acme'], base_url }, {}).baseUrl;
    assert.equal(base('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
    assert.equal(base('http://127.1.2.3'), 'http://127.1.2.3');
    assert.equal(base('http://localhost:3000/api/'), 'http://localhost:3000/api');
    assert.equal(base('http://[::1]:9000/'), 'http://[::1]:9000');
  });

  void it('trims trailing slashes and keeps a path', () => {
    assert.equal(checkBaseUrl('https://api.pulumi.com/'), 'https://api.pulumi.com');
    assert.equal(checkBaseUrl('https://api.pulumi.com'), 'https://api.pulumi.com');
    assert.equal(checkBaseUrl('https://pulumi.example.com/prefix//'), 'https://pulumi.example.com/prefix');
  });

  void it('rejects other schemes, non-URLs and URLs with credentials without echoing them', () => {
    rejectsConfig(() => checkBaseUrl('ftp://example.com'), "'base_url' must be an https URL, not ftp:");
    rejectsConfig(() => checkBaseUrl('nope'), "'base_url' is not a URL: nope");
    assert.throws(
      () => checkBaseUrl('https://user:s3cretpass@example.com'),
      (error: unknown) => error instanceof ConfigError && error.message.includes('must not carry credentials') && !error.message.includes('s3cretpass'),
    );
    assert.throws(
      () => checkBaseUrl('http://user:s3cretpass@example.com'),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('s3cretpass'),
    );
  });
});

void describe('jsonErrorPosition', () => {
  function positionOf(text: string): string {
    try {
      JSON.parse(text);
    } catch (error) {
      return jsonErrorPosition(text, error);
    }
    assert.fail('the text parsed');
  }

  void it('gives line and column of a syntax error', () => {
    assert.equal(positionOf('{\n  "a": 1,\n}'), ' (line 3, column 1)');
    assert.equal(positionOf('{"a": 1 "b": 2}'), ' (line 1, column 9)');
    assert.equal(positionOf(`{\n  "token": "${TOKEN}"\n  "organizations": ["acme"]\n}`), ' (line 3, column 3)');
  });

  void it('says when the file is empty', () => {
    assert.equal(positionOf(''), ' (the file is empty)');
    assert.equal(positionOf('  \n\t'), ' (the file is empty)');
  });

  void it('never quotes the text', () => {
    for (const text of [`{"token": ${TOKEN}}`, `{"token": "${TOKEN}",}`, `{"token": "${TOKEN}"`, `{"token" "${TOKEN}"}`]) {
      assert.ok(!positionOf(text).includes(TOKEN), text);
      assert.ok(!positionOf(text).includes('pul-'), text);
    }
  });
});

void describe('loadConfig and readJsonFile', () => {
  let dir = '';
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tap-pulumi-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('merges several files, later files winning', async () => {
    const a = await file('a.json', JSON.stringify({ token: 'pul-first', organizations: ['acme'], page_size: 10 }));
    const b = await file('b.json', JSON.stringify({ token: TOKEN, max_attempts: 3 }));
    const c = await file('c.json', JSON.stringify({ organizations: ['beta', 'gamma'] }));
    const config = await loadConfig([a, b, c], {});
    assert.equal(config.token, TOKEN);
    assert.deepEqual(config.organizations, ['beta', 'gamma']);
    assert.equal(config.pageSize, 10);
    assert.equal(config.maxAttempts, 3);
  });

  void it('takes the token from the environment when no file has one', async () => {
    const a = await file('notoken.json', JSON.stringify({ organizations: ['acme'] }));
    assert.equal((await loadConfig([a], { PULUMI_ACCESS_TOKEN: TOKEN })).token, TOKEN);
  });

  void it('asks for a config when given none', async () => {
    await rejectsConfigAsync(loadConfig([], {}), 'no config given: pass --config FILE');
  });

  void it('names a missing file', async () => {
    const missing = join(dir, 'missing.json');
    await rejectsConfigAsync(loadConfig([missing], {}), `cannot read config file '${missing}': no such file`);
  });

  void it('names a directory given as a file', async () => {
    await rejectsConfigAsync(readJsonFile(dir, 'state'), `cannot read state file '${dir}': it is a directory`);
  });

  void it('names a file that is not JSON, with line and column', async () => {
    const bad = await file('bad.json', '{\n  "organizations": ["acme"],\n}\n');
    await rejectsConfigAsync(loadConfig([bad], {}), `config file '${bad}' is not valid JSON (line 3, column 1)`);
  });

  void it('names an empty file', async () => {
    const empty = await file('empty.json', '');
    await rejectsConfigAsync(loadConfig([empty], {}), `config file '${empty}' is not valid JSON (the file is empty)`);
  });

  void it('rejects a file that holds no JSON object', async () => {
    const array = await file('array.json', '["acme"]');
    await rejectsConfigAsync(loadConfig([array], {}), `config file '${array}' must hold a JSON object`);
    const nul = await file('null.json', 'null');
    await rejectsConfigAsync(loadConfig([nul], {}), `config file '${nul}' must hold a JSON object`);
  });

  void it('never puts the token of an invalid JSON file in its message', async () => {
    const cases = [
      `{\n  "token": "${TOKEN}"\n  "organizations": ["acme"]\n}\n`,
      `{"token": "${TOKEN}",}`,
      `{"token": ${TOKEN}}`,
      `{"token": '${TOKEN}'}`,
      `{"organizations": ["acme"], "token": "${TOKEN}`,
    ];
    for (const [index, text] of cases.entries()) {
      const path = await file(`secret-${index}.json`, text);
      const message = await rejectsConfigAsync(loadConfig([path], {}), `config file '${path}' is not valid JSON`);
      assert.ok(!message.includes(TOKEN), `message leaks the token: ${message}`);
      assert.ok(!message.includes('0123456789abcdef'), `message leaks part of the token: ${message}`);
    }
    const first = await file('secret-position.json', cases[0] ?? '');
    await rejectsConfigAsync(loadConfig([first], {}), 'is not valid JSON (line 3, column 3)');
  });

  void it('never puts the token in a validation message', async () => {
    const path = await file('invalid.json', JSON.stringify({ token: TOKEN, organizations: 'acme', page_size: 'x' }));
    const message = await rejectsConfigAsync(loadConfig([path], {}), "'organizations' must be array", "'page_size' must be integer");
    assert.ok(!message.includes(TOKEN));
  });
});

// The HTTP transport and client against a real server on loopback, in-process (no build needed).
import assert from 'node:assert/strict';
import http from 'node:http';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ApiError } from '../src/errors.js';
import { pathWithDataSegments, PulumiClient, queryString } from '../src/io/http/client.js';
import { TransportError, transportGet } from '../src/io/http/transport.js';
import type { Logger } from '../src/io/logger.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const silent: Logger & { lines: string[] } = {
  level: 'debug',
  lines: [],
  debug(m) {
    this.lines.push(m);
  },
  info(m) {
    this.lines.push(m);
  },
  warn(m) {
    this.lines.push(m);
  },
  error(m) {
    this.lines.push(m);
  },
};

void describe('HTTP transport and client', () => {
  let handler: Handler = (_req, res) => res.end('{}');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  let origin: URL;
  const agent = new http.Agent({ keepAlive: true });

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const get = (path: string, maxBytes = 2 ** 20, timeoutMs = 2000) => transportGet({ origin, path, headers: { 'accept-encoding': 'gzip' }, agent, timeoutMs, maxBytes });

  const client = (overrides: Partial<ConstructorParameters<typeof PulumiClient>[0]> = {}) =>
    new PulumiClient({ ...clientOptions(), redact: (text) => text.replaceAll('pul-abcdef0123456789abcdef', '****'), ...overrides });

  void it('sends a path exactly as given: dot segments that are data are not normalised away', async () => {
    handler = (_req, res) => res.end('{}');
    seen.length = 0;
    await get(`/api/stacks/acme${pathWithDataSegments('/../.')}/updates`);
    assert.deepEqual(seen, ['/api/stacks/acme/%2E%2E/%2E/updates']);
    assert.equal(pathWithDataSegments('/api/stacks/o/my.project/.../x'), '/api/stacks/o/my.project/%2E%2E%2E/x');
    assert.equal(queryString({ a: 1, b: undefined, c: 'x y' }), '?a=1&c=x+y');
  });

  void it('decodes gzip as it arrives', async () => {
    handler = (_req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(Buffer.from('{"ok":true}')));
    };
    assert.equal((await get('/')).body, '{"ok":true}');
  });

  void it('stops reading a body that inflates beyond the cap, in bounded memory', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 2 ** 20, 32));
    handler = (_req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end(bomb);
    };
    const before = process.memoryUsage().rss;
    await assert.rejects(get('/', 2 ** 20), (error: unknown) => error instanceof TransportError && error.failure === 'too-large' && /larger than 1 MB once decompressed/.test(error.message));
    assert.ok(process.memoryUsage().rss - before < 48 * 2 ** 20, 'the 64 MB body was never held');
  });

  void it('reports a body cut short as a network failure, and a timeout as one', async () => {
    handler = (_req, res) => {
      res.setHeader('content-length', '100');
      res.write('{"partial":');
      setTimeout(() => res.destroy(), 20);
    };
    await assert.rejects(get('/'), (error: unknown) => error instanceof TransportError && error.failure === 'network');
    handler = () => undefined;
    await assert.rejects(get('/', 2 ** 20, 100), (error: unknown) => error instanceof TransportError && error.failure === 'timeout' && error.message === 'timed out after 0.1 s');
  });

  void it('retries a malformed answer, then fails with a message that says so', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.end('{"stacks":null}');
    };
    await assert.rejects(
      client().getJson('/api/user/stacks', {}, { accept: (body) => (Array.isArray((body as { stacks?: unknown }).stacks) ? undefined : "'stacks' is null") }),
      (error: unknown) => error instanceof ApiError && error.failureType === 'transient_error' && /answered 200 with a malformed response: 'stacks' is null/.test(error.message),
    );
    assert.equal(calls, 3);
  });

  void it('does not retry a name that does not resolve', async () => {
    const unresolvable = new PulumiClient({ ...clientOptions(), baseUrl: 'https://no-such-host.invalid' });
    await assert.rejects(unresolvable.getJson('/api/user'), (error: unknown) => error instanceof ApiError && error.failureType === 'config_error' && /ENOTFOUND/.test(error.message));
    assert.equal(unresolvable.stats.requests, 1);
  });

  void it('masks the token in an echoed error body before shortening it', async () => {
    handler = (_req, res) => {
      res.statusCode = 400;
      res.end(`${'x'.repeat(180)} token pul-abcdef0123456789abcdef was sent`);
    };
    await assert.rejects(client().getJson('/api/x'), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.ok(!error.message.includes('pul-abc'), error.message);
      assert.match(error.message, /x{180} token \*\*\*\*/);
      return true;
    });
  });

  void it('follows a next-page URL on its own origin only (absolute or relative), so the token goes nowhere else', async () => {
    handler = (_req, res) => res.end('{"ok":1}');
    seen.length = 0;
    const c = client();
    await c.getUrl(`${origin.origin}/api/orgs/o/search?page=2`);
    await c.getUrl('/api/orgs/o/search?page=3');
    assert.deepEqual(seen, ['/api/orgs/o/search?page=2', '/api/orgs/o/search?page=3']);
    await assert.rejects(c.getUrl('https://elsewhere.example.com/api/x'), /next page on another origin \(https:\/\/elsewhere\.example\.com\); it is not followed/);
    assert.equal(seen.length, 2);
  });

  void it('counts the time actually waited on rate limits', async () => {
    let calls = 0;
    handler = (_req, res) => {
      res.statusCode = ++calls < 3 ? 429 : 200;
      res.setHeader('retry-after', '0.05');
      res.end('{}');
    };
    const c = client();
    await c.getJson('/api/x');
    assert.equal(c.stats.retries, 2);
    assert.ok(c.stats.rateLimitWaitMs >= 90 && c.stats.rateLimitWaitMs < 1000, `${c.stats.rateLimitWaitMs} ms`);
    // A wait cut short by a stop counts only what was waited.
    calls = 0;
    handler = (_req, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '30');
      res.end('{}');
    };
    const stopped = client();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(stopped.getJson('/api/x', {}, { signal: controller.signal }));
    assert.ok(stopped.stats.rateLimitWaitMs < 1000, `${stopped.stats.rateLimitWaitMs} ms counted for a 0.1 s wait`);
  });

  function clientOptions(): ConstructorParameters<typeof PulumiClient>[0] {
    return {
      baseUrl: origin.origin,
      token: 'pul-abcdef0123456789abcdef',
      timeoutMs: 2000,
      maxAttempts: 3,
      maxSockets: 4,
      maxResponseBytes: 2 ** 20,
      userAgent: 'test',
      logger: silent,
      redact: (text) => text,
      retryBaseMs: 1,
    };
  }
});

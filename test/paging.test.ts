import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PagingError } from '../src/errors.js';
import type { Query } from '../src/io/http/client.js';
import { Pager, paginate, WHOLE_BODY, type FetchPage, type PagingStyle } from '../src/core/paging.js';

/** A fetchPage that answers with the given bodies in order and records every query it is sent. */
function firstPageQuery(style: PagingStyle): Query {
  return new Pager(style, 'items', 'GET /test').firstQuery();
}

function scripted(bodies: unknown[]): { fetchPage: (query: Query) => Promise<unknown>; queries: Query[] } {
  const queries: Query[] = [];
  let index = 0;
  return {
    queries,
    fetchPage: (query: Query) => {
      queries.push({ ...query });
      if (index >= bodies.length) return Promise.reject(new Error(`unexpected fetch #${index + 1}: ${JSON.stringify(query)}`));
      return Promise.resolve(bodies[index++]);
    },
  };
}

/** A fetch that answers by query, as paginate asks for pages (a next page named by URL shows as `{url}`). */
function pagesOf(fetchPage: (query: Query) => Promise<unknown>): FetchPage {
  return (next) => fetchPage('url' in next ? { url: next.url } : next.query);
}

async function collect(fetchPage: (query: Query) => Promise<unknown>, itemsKey: string, style: PagingStyle): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  for await (const page of paginate(pagesOf(fetchPage), itemsKey, style, 'GET /test')) pages.push(page);
  return pages;
}

const cursor: PagingStyle = { kind: 'cursor' };
const cursorSized: PagingStyle = { kind: 'cursor', pageSizeParam: 'maxResults', pageSize: 2 };
const numbered: PagingStyle = { kind: 'page-number', pageSize: 2 };

void describe('firstPageQuery', () => {
  void it('sends the page size parameter of a cursor style when configured', () => {
    assert.deepEqual(firstPageQuery(cursorSized), { maxResults: 2 });
  });
  void it('sends nothing for a cursor style without a page size', () => {
    assert.deepEqual(firstPageQuery(cursor), {});
    assert.deepEqual(firstPageQuery({ kind: 'cursor', pageSizeParam: 'maxResults' }), {});
    assert.deepEqual(firstPageQuery({ kind: 'cursor', pageSize: 50 }), {});
  });
  void it('starts page-number paging at page 1', () => {
    assert.deepEqual(firstPageQuery({ kind: 'page-number', pageSize: 100 }), { page: 1, pageSize: 100 });
  });
});

void describe('paginate with a cursor', () => {
  void it('follows continuationToken until it is absent', async () => {
    const { fetchPage, queries } = scripted([
      { stacks: [1, 2], continuationToken: 'a' },
      { stacks: [3, 4], continuationToken: 'b' },
      { stacks: [5] },
    ]);
    assert.deepEqual(await collect(fetchPage, 'stacks', cursorSized), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(queries, [{ maxResults: 2 }, { maxResults: 2, continuationToken: 'a' }, { maxResults: 2, continuationToken: 'b' }]);
  });

  void it('ends on a null continuationToken', async () => {
    const { fetchPage, queries } = scripted([{ members: ['x'], continuationToken: 't1' }, { members: ['y'], continuationToken: null }]);
    assert.deepEqual(await collect(fetchPage, 'members', cursor), [['x'], ['y']]);
    assert.deepEqual(queries, [{}, { continuationToken: 't1' }]);
  });

  void it('ends on an empty continuationToken', async () => {
    const { fetchPage, queries } = scripted([{ members: ['x'], continuationToken: '' }]);
    assert.deepEqual(await collect(fetchPage, 'members', cursor), [['x']]);
    assert.equal(queries.length, 1);
  });

  void it('refuses a page without its items key: malformed, never the end', async () => {
    await assert.rejects(collect(scripted([{ continuationToken: 'a' }]).fetchPage, 'teams', cursor), {
      name: 'PagingError',
      message: "GET /test: malformed response: 'teams' is missing",
    });
    await assert.rejects(collect(scripted([{ stacks: [1], continuationToken: 'a' }, { stacks: null }]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: "GET /test: malformed response: 'stacks' is null, expected an array",
    });
  });

  void it('throws PagingError on a repeated continuation token', async () => {
    const { fetchPage, queries } = scripted([
      { stacks: [1], continuationToken: 'a' },
      { stacks: [2], continuationToken: 'b' },
      { stacks: [3], continuationToken: 'a' },
    ]);
    const seen: unknown[][] = [];
    await assert.rejects(
      async () => {
        for await (const page of paginate(pagesOf(fetchPage), 'stacks', cursor, 'GET /api/user/stacks')) seen.push(page);
      },
      (error: unknown) => {
        assert.ok(error instanceof PagingError);
        assert.equal(error.failureType, 'system_error');
        assert.match(error.message, /^GET \/api\/user\/stacks: /);
        assert.match(error.message, /continuation token it had already sent/);
        assert.match(error.message, /reading the same pages forever/);
        return true;
      },
    );
    assert.deepEqual(seen, [[1], [2]]);
    assert.equal(queries.length, 3);
  });

  void it('throws PagingError when the items key is not an array', async () => {
    await assert.rejects(collect(scripted([{ stacks: { a: 1 } }]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: "GET /test: malformed response: 'stacks' is an object, expected an array",
    });
  });

  void it('throws PagingError when the body is not an object', async () => {
    await assert.rejects(collect(scripted([[1, 2]]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: malformed response: expected a JSON object, got an array',
    });
    await assert.rejects(collect(scripted([null]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: malformed response: expected a JSON object, got null',
    });
    await assert.rejects(collect(scripted(['text']).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: malformed response: expected a JSON object, got string "text"',
    });
  });

  void it('refuses a continuation token that is not a string', async () => {
    await assert.rejects(collect(scripted([{ stacks: [1], continuationToken: 5 }]).fetchPage, 'stacks', cursor), /'continuationToken' is number 5, expected a string/);
  });

  void it('reads and sends the token under the names the style gives', async () => {
    const { fetchPage, queries } = scripted([{ environments: [1], nextToken: 'n1' }, { environments: [2], nextToken: '' }]);
    const style: PagingStyle = { kind: 'cursor', tokenField: 'nextToken', tokenParam: 'continuationToken' };
    assert.deepEqual(await collect(fetchPage, 'environments', style), [[1], [2]]);
    assert.deepEqual(queries, [{}, { continuationToken: 'n1' }]);
  });

  void it('stops fetching when the consumer breaks out', async () => {
    const { fetchPage, queries } = scripted([
      { stacks: [1], continuationToken: 'a' },
      { stacks: [2], continuationToken: 'b' },
      { stacks: [3], continuationToken: 'c' },
    ]);
    const seen: unknown[][] = [];
    for await (const page of paginate(pagesOf(fetchPage), 'stacks', cursor, 'GET /test')) {
      seen.push(page);
      break;
    }
    assert.deepEqual(seen, [[1]]);
    assert.equal(queries.length, 1);
  });
});

void describe('paginate with page numbers', () => {
  void it('stops on a short page', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [3, 4] }, { updates: [5] }]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(queries, [
      { page: 1, pageSize: 2 },
      { page: 2, pageSize: 2 },
      { page: 3, pageSize: 2 },
    ]);
  });

  void it('stops on an empty page', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [] }]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], []]);
    assert.equal(queries.length, 2);
  });

  void it('stops when page * pageSize reaches total', async () => {
    const { fetchPage, queries } = scripted([
      { updates: [1, 2], itemsPerPage: 2, total: 4 },
      { updates: [3, 4], itemsPerPage: 2, total: 4 },
    ]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], [3, 4]]);
    assert.deepEqual(queries, [
      { page: 1, pageSize: 2 },
      { page: 2, pageSize: 2 },
    ]);
  });

  void it('stops after the first page when it already covers the total', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2], total: 2 }]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2]]);
    assert.equal(queries.length, 1);
  });

  void it('keeps going while the total is not reached', async () => {
    const { fetchPage, queries } = scripted([
      { updates: [1, 2], total: 5 },
      { updates: [3, 4], total: 5 },
      { updates: [5], total: 5 },
    ]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], [3, 4], [5]]);
    assert.equal(queries.length, 3);
  });

  void it('throws PagingError when a page past the total still holds items', async () => {
    const { fetchPage, queries } = scripted([
      { updates: [1, 2], total: 6 },
      { updates: [3, 4], total: 2 },
    ]);
    await assert.rejects(collect(fetchPage, 'updates', numbered), (error: unknown) => {
      assert.ok(error instanceof PagingError);
      assert.match(error.message, /^GET \/test: page 2 is past the total of 2 items/);
      return true;
    });
    assert.equal(queries.length, 2);
  });

  void it('follows a continuationToken when the response carries one', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2], continuationToken: 'next' }, { updates: [3] }]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], [3]]);
    assert.deepEqual(queries, [
      { page: 1, pageSize: 2 },
      { pageSize: 2, continuationToken: 'next' },
    ]);
  });

  void it('throws PagingError on a repeated token in page-number mode too', async () => {
    const { fetchPage } = scripted([
      { updates: [1, 2], continuationToken: 'x' },
      { updates: [3, 4], continuationToken: 'x' },
    ]);
    await assert.rejects(collect(fetchPage, 'updates', numbered), (error: unknown) => {
      assert.ok(error instanceof PagingError);
      assert.match(error.message, /already sent/);
      return true;
    });
  });

  void it('throws PagingError when the items key is not an array, or a count is not a count', async () => {
    await assert.rejects(collect(scripted([{ updates: 'nope', total: 1 }]).fetchPage, 'updates', numbered), {
      name: 'PagingError',
      message: 'GET /test: malformed response: \'updates\' is string "nope", expected an array',
    });
    await assert.rejects(collect(scripted([{ updates: null, total: 5 }]).fetchPage, 'updates', numbered), /'updates' is null/);
    await assert.rejects(collect(scripted([{ updates: [1], total: '5' }]).fetchPage, 'updates', numbered), /'total' is string "5", expected a count/);
    await assert.rejects(collect(scripted([{ updates: [1], total: 1.5 }]).fetchPage, 'updates', numbered), /'total' is number 1.5/);
  });

  void it('keeps paging past a short page while the total says there is more, at the size the server uses', async () => {
    const { fetchPage, queries } = scripted([
      { updates: [1, 2, 3], itemsPerPage: 3, total: 7 },
      { updates: [4, 5, 6], itemsPerPage: 3, total: 7 },
      { updates: [7], itemsPerPage: 3, total: 7 },
    ]);
    const style: PagingStyle = { kind: 'page-number', pageSize: 100 };
    assert.deepEqual(await collect(fetchPage, 'updates', style), [[1, 2, 3], [4, 5, 6], [7]]);
    assert.deepEqual(queries, [
      { page: 1, pageSize: 100 },
      { page: 2, pageSize: 3 },
      { page: 3, pageSize: 3 },
    ]);
  });

  void it('takes the length of a short page as the server size when it does not say itemsPerPage', async () => {
    const { fetchPage, queries } = scripted([
      { updates: [1, 2], total: 5 },
      { updates: [3, 4], total: 5 },
      { updates: [5], total: 5 },
    ]);
    assert.deepEqual(await collect(fetchPage, 'updates', { kind: 'page-number', pageSize: 10 }), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(queries.map((q) => [q.page, q.pageSize]), [
      [1, 10],
      [2, 2],
      [3, 2],
    ]);
  });

  void it('without a total, a page shorter than the server says it sends is the last', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2], itemsPerPage: 2 }, { updates: [3], itemsPerPage: 2 }]);
    assert.deepEqual(await collect(fetchPage, 'updates', { kind: 'page-number', pageSize: 50 }), [[1, 2], [3]]);
    assert.equal(queries.length, 2);
  });

  void it('stops when page sizes change so that offsets no longer line up', async () => {
    const { fetchPage } = scripted([
      { updates: [1, 2, 3], total: 9 },
      { updates: [4, 5], total: 9 },
    ]);
    await assert.rejects(collect(fetchPage, 'updates', { kind: 'page-number', pageSize: 10 }), /changed its page size mid-listing/);
  });

  void it('stops when the total grows without bound', async () => {
    let request = 0;
    const fetchPage = () => Promise.resolve({ updates: [request * 2 + 1, request * 2 + 2], total: 4 + 2 * ++request });
    await assert.rejects(collect(fetchPage, 'updates', numbered), /the total grew from 6 to 10 while paging|items read where the first page announced/);
    assert.ok(request < 10);
  });

  void it('tolerates a total that grows a little (an item added while paging)', async () => {
    const { fetchPage } = scripted([
      { updates: [1, 2], total: 4 },
      { updates: [2, 3], total: 5 },
      { updates: [4], total: 5 },
    ]);
    assert.deepEqual(await collect(fetchPage, 'updates', numbered), [[1, 2], [2, 3], [4]]);
  });

  void it('uses the parameter and field names the style gives', async () => {
    const { fetchPage, queries } = scripted([{ runs: [1, 2], count: 3 }, { runs: [3], count: 3 }]);
    const style: PagingStyle = { kind: 'page-number', pageSize: 2, pageParam: 'p', pageSizeParam: 'size', totalField: 'count' };
    assert.deepEqual(await collect(fetchPage, 'runs', style), [[1, 2], [3]]);
    assert.deepEqual(queries, [
      { p: 1, size: 2 },
      { p: 2, size: 2 },
    ]);
  });

  void it('stops fetching when the consumer breaks out', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [3, 4] }, { updates: [5, 6] }]);
    let pages = 0;
    for await (const page of paginate(pagesOf(fetchPage), 'updates', numbered, 'GET /test')) {
      pages++;
      assert.deepEqual(page, [1, 2]);
      break;
    }
    assert.equal(pages, 1);
    assert.deepEqual(queries, [{ page: 1, pageSize: 2 }]);
  });

  void it('fetches lazily: the next page is requested only when the consumer asks for it', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [3] }]);
    const iterator = paginate(pagesOf(fetchPage), 'updates', numbered, 'GET /test');
    assert.equal(queries.length, 0);
    assert.deepEqual(await iterator.next(), { done: false, value: [1, 2] });
    assert.equal(queries.length, 1);
    assert.deepEqual(await iterator.next(), { done: false, value: [3] });
    assert.equal(queries.length, 2);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(queries.length, 2);
  });
});

void describe('paginate: one request, keyset, and records that are the whole body', () => {
  void it('none: one request; a bare list is the records, and so is one document', async () => {
    const list = scripted([[{ name: 'a' }, { name: 'b' }]]);
    assert.deepEqual(await collect(list.fetchPage, WHOLE_BODY, { kind: 'none' }), [[{ name: 'a' }, { name: 'b' }]]);
    assert.deepEqual(list.queries, [{}]);
    const one = scripted([{ name: 'detail', tags: {} }]);
    assert.deepEqual(await collect(one.fetchPage, WHOLE_BODY, { kind: 'none' }), [[{ name: 'detail', tags: {} }]]);
    await assert.rejects(collect(scripted(['text']).fetchPage, WHOLE_BODY, { kind: 'none' }), /expected a JSON list or object, got string "text"/);
  });

  void it('keyset: asks for the items past the last one read until an empty page, even after a short one (a capped count)', async () => {
    const { fetchPage, queries } = scripted([[{ number: 9 }, { number: 8 }], [{ number: 7 }], [{ number: 6 }, { number: 5 }], []]);
    const style: PagingStyle = { kind: 'keyset', param: 'before', keyField: 'number', countParam: 'count', count: 2 };
    assert.deepEqual((await collect(fetchPage, WHOLE_BODY, style)).flat().length, 5);
    assert.deepEqual(queries, [{ count: 2 }, { count: 2, before: 8 }, { count: 2, before: 7 }, { count: 2, before: 5 }]);
  });

  void it('keyset: a server that ignores the key is stopped', async () => {
    const fetchPage = () => Promise.resolve([{ number: 9 }, { number: 8 }]);
    const style: PagingStyle = { kind: 'keyset', param: 'before', keyField: 'number', countParam: 'count', count: 2 };
    await assert.rejects(collect(fetchPage, WHOLE_BODY, style), /two pages ended with the same 'number' \(8\)/);
  });
});

void describe('paginate: next page by URL', () => {
  void it('follows the URL at a dotted field until there is none', async () => {
    const { fetchPage, queries } = scripted([
      { resources: [1, 2], pagination: { next: 'https://api.example.com/api/orgs/o/search/resourcesv2?page=2&size=2' } },
      { resources: [3], pagination: { next: null } },
    ]);
    const style: PagingStyle = { kind: 'next-url', nextField: 'pagination.next', pageSizeParam: 'size', pageSize: 2 };
    assert.deepEqual(await collect(fetchPage, 'resources', style), [[1, 2], [3]]);
    assert.deepEqual(queries, [{ size: 2 }, { url: 'https://api.example.com/api/orgs/o/search/resourcesv2?page=2&size=2' }]);
  });

  void it('refuses a next URL that is not text, and one named twice', async () => {
    await assert.rejects(collect(scripted([{ resources: [1], pagination: { next: 5 } }]).fetchPage, 'resources', { kind: 'next-url', nextField: 'pagination.next' }), /'pagination.next' is number 5, expected a URL/);
    const fetchPage = () => Promise.resolve({ resources: [1], pagination: { next: '/again' } });
    await assert.rejects(collect(fetchPage, 'resources', { kind: 'next-url', nextField: 'pagination.next' }), /named a next page it had already named/);
  });
});

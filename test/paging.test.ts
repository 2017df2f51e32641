import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PagingError } from '../src/errors.js';
import type { Query } from '../src/http/client.js';
import { firstPageQuery, paginate, type PagingStyle } from '../src/paging.js';

/** A fetchPage that answers with the given bodies in order and records every query it is sent. */
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

async function collect(fetchPage: (query: Query) => Promise<unknown>, itemsKey: string, style: PagingStyle): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  for await (const page of paginate(fetchPage, itemsKey, style, 'GET /test')) pages.push(page);
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

  void it('treats a missing items key as an empty page', async () => {
    const { fetchPage } = scripted([{ continuationToken: 'a' }, { teams: ['t'] }]);
    assert.deepEqual(await collect(fetchPage, 'teams', cursor), [[], ['t']]);
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
        for await (const page of paginate(fetchPage, 'stacks', cursor, 'GET /api/user/stacks')) seen.push(page);
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
    const { fetchPage } = scripted([{ stacks: { a: 1 } }]);
    await assert.rejects(collect(fetchPage, 'stacks', cursor), (error: unknown) => {
      assert.ok(error instanceof PagingError);
      assert.equal(error.message, "GET /test: 'stacks' in the response is not an array");
      return true;
    });
  });

  void it('throws PagingError when the body is not an object', async () => {
    await assert.rejects(collect(scripted([[1, 2]]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: expected a JSON object, got an array',
    });
    await assert.rejects(collect(scripted([null]).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: expected a JSON object, got object',
    });
    await assert.rejects(collect(scripted(['text']).fetchPage, 'stacks', cursor), {
      name: 'PagingError',
      message: 'GET /test: expected a JSON object, got string',
    });
  });

  void it('stops fetching when the consumer breaks out', async () => {
    const { fetchPage, queries } = scripted([
      { stacks: [1], continuationToken: 'a' },
      { stacks: [2], continuationToken: 'b' },
      { stacks: [3], continuationToken: 'c' },
    ]);
    const seen: unknown[][] = [];
    for await (const page of paginate(fetchPage, 'stacks', cursor, 'GET /test')) {
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

  void it('throws PagingError when the items key is not an array', async () => {
    const { fetchPage } = scripted([{ updates: 'nope', total: 1 }]);
    await assert.rejects(collect(fetchPage, 'updates', numbered), {
      name: 'PagingError',
      message: "GET /test: 'updates' in the response is not an array",
    });
  });

  void it('stops fetching when the consumer breaks out', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [3, 4] }, { updates: [5, 6] }]);
    let pages = 0;
    for await (const page of paginate(fetchPage, 'updates', numbered, 'GET /test')) {
      pages++;
      assert.deepEqual(page, [1, 2]);
      break;
    }
    assert.equal(pages, 1);
    assert.deepEqual(queries, [{ page: 1, pageSize: 2 }]);
  });

  void it('fetches lazily: the next page is requested only when the consumer asks for it', async () => {
    const { fetchPage, queries } = scripted([{ updates: [1, 2] }, { updates: [3] }]);
    const iterator = paginate(fetchPage, 'updates', numbered, 'GET /test');
    assert.equal(queries.length, 0);
    assert.deepEqual(await iterator.next(), { done: false, value: [1, 2] });
    assert.equal(queries.length, 1);
    assert.deepEqual(await iterator.next(), { done: false, value: [3] });
    assert.equal(queries.length, 2);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(queries.length, 2);
  });
});

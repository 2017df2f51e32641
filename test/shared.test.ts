// Responses shared by sibling partitions: one request per document, held only until its last reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countSharers, SharedResponses } from '../src/core/shared.js';
import { Pager } from '../src/core/paging.js';

void describe('shared responses', () => {
  void it('fetches once for every sibling of an endpoint, then lets the body go', async () => {
    const responses = new SharedResponses(countSharers(['/detail', '/detail', '/detail', '/tokens']));
    let fetched = 0;
    const fetch = () => Promise.resolve({ n: ++fetched });
    assert.deepEqual(await responses.get('/detail', 'a', fetch), { n: 1 });
    assert.equal(responses.held, 1);
    assert.deepEqual(await responses.get('/detail', 'a', fetch), { n: 1 });
    assert.deepEqual(await responses.get('/detail', 'a', fetch), { n: 1 });
    assert.equal(responses.held, 0, 'held until its last reader only');
    assert.deepEqual(await responses.get('/detail', 'b', fetch), { n: 2 }, 'another page or path is another request');
    assert.deepEqual(await responses.get('/tokens', 'a', fetch), { n: 3 });
    assert.deepEqual(await responses.get('/tokens', 'a', fetch), { n: 4 }, 'an endpoint of one stream is never held');
    assert.equal(responses.shares('/tokens'), false);
  });

  void it('a failure reaches every sibling alike', async () => {
    const responses = new SharedResponses(countSharers(['/d', '/d']));
    const failing = () => Promise.reject(new Error('403'));
    await assert.rejects(responses.get('/d', 'k', failing), /403/);
    await assert.rejects(responses.get('/d', 'k', () => Promise.resolve('not asked')), /403/);
  });
});

void describe('records located as data', () => {
  const none = { kind: 'none' } as const;
  void it('an optional list may be absent or null; a required one may not', () => {
    const optional = new Pager(none, { key: 'members', optional: true }, 'GET /t');
    assert.equal(optional.malformation({}), undefined);
    assert.equal(optional.malformation({ members: null }), undefined);
    assert.deepEqual(optional.itemsOf({}), []);
    assert.match(optional.malformation({ members: 'x' }) ?? '', /expected an array/);
    assert.match(new Pager(none, 'members', 'GET /t').malformation({}) ?? '', /'members' is missing/);
  });

  void it("a map's entries are records, every key kept", () => {
    const tags = new Pager(none, { key: 'tags', entries: { keyField: 'name', valueField: 'value' } }, 'GET /t');
    const body = JSON.parse('{"tags":{"a":"1","__proto__":"2"}}') as unknown;
    assert.equal(tags.malformation(body), undefined);
    assert.deepEqual(tags.itemsOf(body).map((item) => JSON.stringify(item)), ['{"name":"a","value":"1"}', '{"name":"__proto__","value":"2"}']);
    assert.match(tags.malformation({ tags: [] }) ?? '', /expected an object/);
    assert.match(tags.malformation({}) ?? '', /'tags' is missing/);
  });
});

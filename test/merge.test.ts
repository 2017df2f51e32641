import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { mergeBounded } from '../src/core/merge.js';

interface Item {
  source: number;
  index: number;
}

/** Watches how many sources run at once and which ones were closed. */
class Probe {
  running = 0;
  maxRunning = 0;
  created = 0;
  finished = 0;
  maxOutstanding = 0;
  readonly started = new Set<number>();
  readonly closed = new Set<number>();
  readonly events: string[] = [];

  source(id: number, count: number, delayMs: (index: number) => number = () => 0): AsyncIterable<Item> {
    return { [Symbol.asyncIterator]: () => this.run(id, count, delayMs) };
  }

  private async *run(id: number, count: number, delayMs: (index: number) => number): AsyncGenerator<Item> {
    this.running++;
    this.started.add(id);
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      for (let index = 0; index < count; index++) {
        await sleep(delayMs(index));
        yield { source: id, index };
      }
      this.events.push(`done ${id}`);
    } finally {
      this.running--;
      this.finished++;
      this.closed.add(id);
    }
  }

  /** The source of sources, counting how far ahead of the merge it has been drained. */
  async *sources(count: number, make: (id: number) => AsyncIterable<Item>, failAfter?: Error): AsyncGenerator<AsyncIterable<Item>> {
    try {
      for (let id = 0; id < count; id++) {
        await Promise.resolve();
        this.created++;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.created - this.finished);
        yield make(id);
      }
      if (failAfter) throw failAfter;
    } finally {
      this.events.push('sources closed');
    }
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function bySource(items: Item[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const item of items) {
    const list = map.get(item.source) ?? [];
    list.push(item.index);
    map.set(item.source, list);
  }
  return map;
}

const jitter = (id: number) => (index: number) => ((id * 7 + index * 3) % 5) + 1;

void describe('mergeBounded', () => {
  void it('never runs more than `limit` sources at once', async () => {
    const probe = new Probe();
    const items = await collect(mergeBounded(probe.sources(10, (id) => probe.source(id, 4, jitter(id))), 3));
    assert.equal(items.length, 40);
    assert.equal(probe.maxRunning, 3);
    assert.equal(probe.running, 0);
    assert.equal(probe.started.size, 10);
  });

  void it('yields every item exactly once and keeps each source in its own order', async () => {
    const probe = new Probe();
    const counts = [5, 0, 3, 1, 7, 2];
    const items = await collect(mergeBounded(probe.sources(counts.length, (id) => probe.source(id, counts[id] ?? 0, jitter(id))), 2));
    assert.equal(items.length, counts.reduce((a, b) => a + b, 0));
    assert.equal(new Set(items.map((i) => `${i.source}:${i.index}`)).size, items.length);
    const grouped = bySource(items);
    counts.forEach((count, id) => {
      assert.deepEqual(grouped.get(id) ?? [], Array.from({ length: count }, (_, i) => i), `source ${id}`);
    });
  });

  void it('interleaves sources that run at the same time', async () => {
    const probe = new Probe();
    const items = await collect(mergeBounded(probe.sources(2, (id) => probe.source(id, 3, () => (id === 0 ? 60 : 0))), 2));
    assert.deepEqual(
      items.map((i) => i.source),
      [1, 1, 1, 0, 0, 0],
    );
  });

  void it('with limit 1 reads the sources one after the other', async () => {
    const probe = new Probe();
    const items = await collect(mergeBounded(probe.sources(3, (id) => probe.source(id, 2, jitter(id))), 1));
    assert.deepEqual(
      items.map((i) => `${i.source}:${i.index}`),
      ['0:0', '0:1', '1:0', '1:1', '2:0', '2:1'],
    );
    assert.equal(probe.maxRunning, 1);
  });

  void it('handles no sources and empty sources', async () => {
    const probe = new Probe();
    assert.deepEqual(await collect(mergeBounded(probe.sources(0, (id) => probe.source(id, 1)), 4)), []);
    assert.deepEqual(await collect(mergeBounded(probe.sources(3, (id) => probe.source(id, 0)), 2)), []);
  });

  void it('takes sources lazily: the source of sources is never drained ahead', async () => {
    const probe = new Probe();
    const merged = mergeBounded(probe.sources(100, (id) => probe.source(id, 3, () => 1)), 4);
    const first = await merged.next();
    assert.equal(first.done, false);
    await sleep(20);
    assert.ok(probe.created <= 4, `created ${probe.created} sources for a limit of 4`);
    await merged.return(undefined);
    assert.ok(probe.created <= 4);

    const second = new Probe();
    const items = await collect(mergeBounded(second.sources(20, (id) => second.source(id, 2, jitter(id))), 3));
    assert.equal(items.length, 40);
    assert.ok(second.maxOutstanding <= 3, `up to ${second.maxOutstanding} sources were taken before earlier ones finished`);
  });

  void it('rethrows an error of the source of sources after the running sources finish', async () => {
    const probe = new Probe();
    const boom = new Error('listing stacks failed');
    const items: Item[] = [];
    await assert.rejects(
      async () => {
        for await (const item of mergeBounded(probe.sources(2, (id) => probe.source(id, 3, () => 5), boom), 4)) items.push(item);
      },
      (error: unknown) => error === boom,
    );
    assert.equal(items.length, 6, 'every item of the sources already running is delivered');
    assert.deepEqual(
      [...bySource(items).entries()].sort(([a], [b]) => a - b),
      [
        [0, [0, 1, 2]],
        [1, [0, 1, 2]],
      ],
    );
    assert.ok(probe.events.includes('done 0') && probe.events.includes('done 1'));
    assert.equal(probe.running, 0);
  });

  void it('rethrows an error of one source and closes the others', async () => {
    const probe = new Probe();
    const boom = new Error('source 1 failed');
    const failing: AsyncIterable<Item> = {
      async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
        await sleep(2);
        yield { source: 1, index: 0 };
        throw boom;
      },
    };
    const make = (id: number): AsyncIterable<Item> => (id === 1 ? failing : probe.source(id, 1000, () => 1));
    await assert.rejects(collect(mergeBounded(probe.sources(50, make), 3)), (error: unknown) => error === boom);
    assert.equal(probe.running, 0, 'every other running source was closed');
    assert.ok(probe.events.includes('sources closed'));
  });

  void it('breaking out early calls return() on the active sources and on the source of sources', async () => {
    const probe = new Probe();
    const infinite = (id: number) => probe.source(id, Number.POSITIVE_INFINITY, () => 1);
    let taken = 0;
    for await (const _item of mergeBounded(probe.sources(Number.MAX_SAFE_INTEGER, infinite), 2)) {
      if (++taken === 5) break;
    }
    assert.equal(taken, 5);
    assert.equal(probe.started.size, 2);
    assert.deepEqual([...probe.closed].sort(), [...probe.started].sort(), 'every started source was closed');
    assert.equal(probe.running, 0);
    assert.ok(probe.events.includes('sources closed'), 'the source of sources was closed');
  });

  void it('calls return() on plain iterators too', async () => {
    const returned: number[] = [];
    const plain = (id: number): AsyncIterable<number> => ({
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: id }),
        return: () => {
          returned.push(id);
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    });
    async function* two(): AsyncGenerator<AsyncIterable<number>> {
      await Promise.resolve();
      yield plain(1);
      yield plain(2);
    }
    let taken = 0;
    for await (const _value of mergeBounded(two(), 2)) {
      if (++taken === 3) break;
    }
    assert.deepEqual(returned.sort(), [1, 2]);
  });
});

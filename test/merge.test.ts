import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { Limiter, mergeBounded } from '../src/core/merge.js';

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

void describe('mergeBounded: a source of sources that throws', () => {
  void it('fails the merge, with or without a budget, and gives the place back', async () => {
    const shared = new Limiter(1);
    for (const budget of [undefined, shared]) {
      const probe = new Probe();
      function* sources(): Generator<AsyncIterable<Item>> {
        yield probe.source(0, 2);
        throw new Error('listing broke');
      }
      await assert.rejects(collect(mergeBounded(sources(), 2, budget)), /listing broke/);
    }
    const release = await shared.acquire();
    release();
  });
});

void describe('mergeBounded with a shared budget', () => {
  void it('bounds the sum of sources running in merges side by side, and lets one use what another no longer needs', async () => {
    const probe = new Probe();
    const shared = new Limiter(4);
    // Three merges of 4 each would run 12 sources at once; the budget holds them to 4 in all.
    const merges = [0, 1, 2].map((m) => collect(mergeBounded(probe.sources(m === 0 ? 2 : 8, (id) => probe.source(m * 100 + id, 3, jitter(id))), 4, shared)));
    const results = await Promise.all(merges);
    assert.deepEqual(
      results.map((items) => items.length),
      [6, 24, 24],
    );
    assert.equal(probe.maxRunning, 4);
    assert.equal(probe.running, 0);
    // Every place came back: the budget grants all of its places again at once.
    const places = await Promise.all([1, 2, 3, 4].map(() => shared.acquire()));
    assert.equal(places.length, 4);
  });

  void it('gives places back when a merge stops early or fails', async () => {
    const shared = new Limiter(2);
    const probe = new Probe();
    for await (const item of mergeBounded(probe.sources(6, (id) => probe.source(id, 5, jitter(id))), 2, shared)) {
      if (item.index === 1) break;
    }
    const failing = new Probe();
    await assert.rejects(
      collect(
        mergeBounded(
          failing.sources(4, (id) => (id === 1 ? { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('boom')) }) } : failing.source(id, 3, jitter(id)))),
          2,
          shared,
        ),
      ),
      /boom/,
    );
    // Both places are free again: a third merge runs at full width.
    const after = new Probe();
    const items = await collect(mergeBounded(after.sources(4, (id) => after.source(id, 2, jitter(id))), 2, shared));
    assert.equal(items.length, 8);
    assert.equal(after.maxRunning, 2);
  });
});

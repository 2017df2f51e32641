// Bounded concurrency. mergeBounded runs up to `limit` async iterables at once and yields their items as they come, taking new
// sources lazily. Each source advances only when its previous item has been consumed, so memory is
// bounded by `limit` items and a slow consumer slows every source down.

type Settled<T> =
  | { from: 'task'; task: Task<T>; result: IteratorResult<T> }
  | { from: 'task'; task: Task<T>; error: unknown }
  | { from: 'source'; result: IteratorResult<AsyncIterable<T>> }
  | { from: 'source'; error: unknown };

interface Task<T> {
  iterator: AsyncIterator<T>;
  pending: Promise<Settled<T>>;
}

export async function* mergeBounded<T>(sources: AsyncIterable<AsyncIterable<T>> | Iterable<AsyncIterable<T>>, limit: number): AsyncGenerator<T> {
  const sourceIterator = Symbol.asyncIterator in sources ? sources[Symbol.asyncIterator]() : toAsync(sources[Symbol.iterator]());
  const active = new Set<Task<T>>();
  let sourcePending: Promise<Settled<T>> | undefined;
  let sourceDone = false;
  let sourceError: unknown;
  let failed = false;

  const advance = (task: Task<T>): void => {
    task.pending = task.iterator.next().then(
      (result): Settled<T> => ({ from: 'task', task, result }),
      (error: unknown): Settled<T> => ({ from: 'task', task, error }),
    );
  };
  const requestSource = (): void => {
    if (sourceDone || sourcePending || active.size >= limit) return;
    sourcePending = sourceIterator.next().then(
      (result): Settled<T> => ({ from: 'source', result }),
      (error: unknown): Settled<T> => ({ from: 'source', error }),
    );
  };

  try {
    requestSource();
    while (active.size > 0 || sourcePending) {
      const racers: Promise<Settled<T>>[] = [...active].map((task) => task.pending);
      if (sourcePending) racers.push(sourcePending);
      const settled = await Promise.race(racers);
      if (settled.from === 'source') {
        sourcePending = undefined;
        if ('error' in settled) {
          // Let the sources already running finish, then report the failure.
          sourceDone = true;
          failed = true;
          sourceError = settled.error;
        } else if (settled.result.done) {
          sourceDone = true;
        } else {
          const task: Task<T> = { iterator: settled.result.value[Symbol.asyncIterator](), pending: Promise.resolve(undefined as never) };
          advance(task);
          active.add(task);
        }
      } else if ('error' in settled) {
        throw settled.error;
      } else if (settled.result.done) {
        active.delete(settled.task);
      } else {
        yield settled.result.value;
        advance(settled.task);
      }
      requestSource();
    }
    if (failed) throw sourceError;
  } finally {
    // Stopped early (consumer broke out, or an error): close whatever still runs.
    await Promise.allSettled([...active].map(async (task) => task.iterator.return?.()));
    if (!sourceDone) await sourceIterator.return?.();
  }
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { done: true, value: undefined }),
  };
}

/** A counting semaphore: acquire() resolves with a release function once a slot is free. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const index = this.waiting.indexOf(grant);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(grant);
      });
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so the count stays right.
      if (next) next();
      else this.active--;
    };
  }
}

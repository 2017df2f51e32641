// Bounded concurrency. mergeBounded runs up to `limit` async iterables at once and yields their items
// as they come, taking new sources lazily. Each source advances only when its previous item has been
// consumed, so memory is bounded by `limit` items and a slow consumer slows every source down.
// Settled steps wait in a queue, so each item costs the same however many sources run (a race over
// every running source per item would cost O(sources) microtasks each). Merges side by side can
// share one budget of running sources (`shared`), so that their sum is bounded too.

type Release = () => void;

type Settled<T> =
  | { from: 'task'; task: Task<T>; result: IteratorResult<T> }
  | { from: 'task'; task: Task<T>; error: unknown }
  | { from: 'source'; result: IteratorResult<AsyncIterable<T>>; release: Release | undefined }
  | { from: 'source'; error: unknown };

interface Task<T> {
  iterator: AsyncIterator<T>;
  /** Gives back the task's place in the shared budget. */
  release: Release | undefined;
}

/**
 * `shared`: a budget of running sources held with other merges; a source takes a place in it before
 * it starts and gives it back when it ends. Merges that wait on each other's sources (a parent's and
 * its children's) must not share one, or each could wait for a place the other holds.
 */
export async function* mergeBounded<T>(sources: AsyncIterable<AsyncIterable<T>> | Iterable<AsyncIterable<T>>, limit: number, shared?: Limiter): AsyncGenerator<T> {
  const sourceIterator = Symbol.asyncIterator in sources ? sources[Symbol.asyncIterator]() : toAsync(sources[Symbol.iterator]());
  const active = new Set<Task<T>>();
  const ready: Settled<T>[] = [];
  let wake: (() => void) | undefined;
  let sourcePending = false;
  let sourceDone = false;
  let sourceError: { error: unknown } | undefined;
  let closed = false;

  const settle = (settled: Settled<T>): void => {
    ready.push(settled);
    wake?.();
    wake = undefined;
  };
  const advance = (task: Task<T>): void => {
    task.iterator.next().then(
      (result) => settle({ from: 'task', task, result }),
      (error: unknown) => settle({ from: 'task', task, error }),
    );
  };
  const requestSource = (): void => {
    if (sourceDone || sourcePending || active.size >= limit) return;
    sourcePending = true;
    void startSource();
  };
  /** Takes a place in the shared budget, if any, then the next source; a place not used goes back. */
  const startSource = async (): Promise<void> => {
    const release = await shared?.acquire();
    // The merge ended while this place was awaited: it goes back unused.
    if (closed) return release?.();
    try {
      // Inside the try: a source of sources that throws instead of rejecting fails the merge all the same.
      const result = await sourceIterator.next();
      if (closed) release?.();
      else settle({ from: 'source', result, release });
    } catch (error) {
      release?.();
      if (!closed) settle({ from: 'source', error });
    }
  };

  try {
    requestSource();
    while (active.size > 0 || sourcePending || ready.length > 0) {
      if (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const settled = ready.shift();
      if (!settled) continue;
      if (settled.from === 'source') {
        sourcePending = false;
        if ('error' in settled) {
          // Let the sources already running finish, then report the failure.
          sourceDone = true;
          sourceError = { error: settled.error };
        } else if (settled.result.done) {
          settled.release?.();
          sourceDone = true;
        } else {
          const task: Task<T> = { iterator: settled.result.value[Symbol.asyncIterator](), release: settled.release };
          active.add(task);
          advance(task);
        }
      } else if ('error' in settled) {
        active.delete(settled.task);
        settled.task.release?.();
        throw settled.error;
      } else if (settled.result.done) {
        active.delete(settled.task);
        settled.task.release?.();
      } else {
        yield settled.result.value;
        advance(settled.task);
      }
      requestSource();
    }
    if (sourceError) throw sourceError.error;
  } finally {
    // Stopped early (consumer broke out, or an error): close whatever still runs, and give back the
    // places of sources that settled but never ran.
    closed = true;
    for (const settled of ready.splice(0)) if (settled.from === 'source' && 'release' in settled) settled.release?.();
    await Promise.allSettled(
      [...active].map(async (task) => {
        try {
          await task.iterator.return?.();
        } finally {
          task.release?.();
        }
      }),
    );
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
    // A stopped run takes no slot, even a free one.
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
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
